"""Transports: each channel turns its own events into `Incoming` and delivers outbox rows (bot.delivery)."""
