"""Fixtures the router tests share."""
from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from storage.store import open_store
from storage.usage import UsageLedger


@pytest.fixture
async def ledger(database_url: str) -> AsyncIterator[UsageLedger]:
    """A usage ledger on a fresh database: a SQLite file, then a Postgres database (tests/services.py)."""
    store = await open_store(database_url)
    yield UsageLedger(store.db)
    await store.close()
