"""Fixtures the router tests share."""
from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import pytest

from base.metrics import NoMetrics, install
from storage.store import open_store
from storage.usage import UsageLedger


@pytest.fixture
async def ledger(database_url: str) -> AsyncIterator[UsageLedger]:
    """A usage ledger on a fresh database: a SQLite file, then a Postgres database (tests/services.py)."""
    store = await open_store(database_url)
    yield UsageLedger(store.db)
    await store.close()


@dataclass
class Recorder(NoMetrics):
    """The queue metrics the router reported."""

    waits: list[str] = field(default_factory=list)
    overflows: list[tuple[str, str]] = field(default_factory=list)

    def queue_wait(self, provider: str, seconds: float) -> None:
        self.waits.append(provider)

    def overflow(self, provider: str, reason: str) -> None:
        self.overflows.append((provider, reason))


@pytest.fixture
def recorded() -> Iterator[Recorder]:
    """The queue metrics reported while the test runs."""
    recorder = Recorder()
    install(recorder)
    yield recorder
    install(None)
