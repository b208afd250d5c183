"""Reminders and alerts for what customers saved and left in carts (README: Reminders and alerts):
the worker that decides them from the catalog's changes, the outbox's delivery, the in-app feed,
the customers' preferences and the one-click unsubscribe."""
