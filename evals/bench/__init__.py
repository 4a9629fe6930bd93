"""Benchmarks that print figures (not tests): `python -m evals.bench.memory_bench`."""
