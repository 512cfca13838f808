"""Deadline reminders, the extension announcement and the confirmation emails (issue 11).

plan: the pure rules (what is due, for whom, what it supersedes); texts: the
words, from bot/data/reminders.toml; run: one pass of the planner over the
population, enqueueing in batches; store: its tables; serve: the `sotp serve`
component that runs a pass every minute.
"""
