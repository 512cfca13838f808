"""Benchmarks run by `sotp bench NAME` (registered in bot.commands.bench.BENCHMARKS)."""
