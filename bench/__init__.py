"""Benchmarks: each `bench_<name>.py` measures against a reference in the same run."""
