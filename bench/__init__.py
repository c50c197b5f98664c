"""Benchmarks for moda-compat-proxy; see `python -m bench.throughput --help`."""
