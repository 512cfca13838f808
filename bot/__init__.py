"""SOTP Assistant runtime: configuration, storage, the calculation module, channels, CLI."""

# The package version, in one place: pyproject.toml reads it from here (and the knowledge cache keys on it).
__version__ = "0.1.0"
