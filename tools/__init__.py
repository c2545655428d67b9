"""Developer tools: benchmarks."""
