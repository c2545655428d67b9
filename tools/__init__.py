"""Developer tools: benchmarks, protobuf code generation (not part of the installed package)."""
