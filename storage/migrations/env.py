"""Alembic environment: uses a connection handed in by storage.db, or sqlalchemy.url."""
from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from storage.db import open_engine
from storage.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif (conn := config.attributes.get("connection")) is not None:
    _run(conn)
else:  # `alembic` on the command line: DATABASE_URL may name an async driver
    with open_engine(config.get_main_option("sqlalchemy.url") or "").begin() as connection:
        _run(connection)
