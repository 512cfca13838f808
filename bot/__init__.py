"""SOTP Assistant runtime: configuration, storage, the calculation module, channels, CLI."""

import os

# numpy's OpenBLAS starts a thread per core when it is imported; nothing here multiplies matrices big
# enough to use them, and each of our processes (CLI, turn process, chart process) paid ~80 ms of CPU
# on both cores for them. Before anything imports numpy; an administrator's own setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# The package version, in one place: pyproject.toml reads it from here (and the knowledge cache keys on it).
__version__ = "0.1.0"
