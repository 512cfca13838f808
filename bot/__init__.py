"""SOTP Assistant runtime: configuration, storage, the calculation module, channels, CLI."""
