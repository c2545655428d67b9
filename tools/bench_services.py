"""Benchmarks of the services and the indicator engine (registered into tools.bench)."""
