"""Channels: transports that turn their events into `Incoming` and deliver outbox rows (bot.delivery)."""
