"""Middlewares: who may go on (access) and what every handler is given."""
