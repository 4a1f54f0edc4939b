"""Filters: which messages a handler takes (addressed to us, from a human, a command, …)."""
