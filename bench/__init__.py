"""Benchmark harness (``make bench``): see bench/README.md; results in bench/results.md."""
