"""Fixtures the router tests share."""
from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.store import open_store
from storage.usage import UsageLedger


@pytest.fixture
async def ledger(tmp_path: Path) -> AsyncIterator[UsageLedger]:
    """A usage ledger on a fresh SQLite file."""
    store = await open_store(f"sqlite:///{tmp_path}/usage.db")
    yield UsageLedger(store.db)
    await store.close()
