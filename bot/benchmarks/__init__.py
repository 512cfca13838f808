"""Benchmarks behind `sotp bench`: each module registers one sub-benchmark."""
