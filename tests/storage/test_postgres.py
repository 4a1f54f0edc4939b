"""What only Postgres needs: a URL without a driver, and times read back in UTC whatever the server's zone."""
from __future__ import annotations

from datetime import timedelta

from storage.db import Database, migrate, open_engine, sync_url
from storage.people import PeopleStore


def test_a_postgres_url_without_a_driver_gets_psycopg_and_async_ones_the_sync_driver() -> None:
    assert sync_url("postgresql://dagi:pw@db:5432/dagi").drivername == "postgresql+psycopg"
    assert sync_url("postgres://dagi@db/dagi").drivername == "postgresql+psycopg"
    assert sync_url("postgresql+asyncpg://dagi@db/dagi").drivername == "postgresql+psycopg"
    assert sync_url("postgresql+psycopg://dagi@db/dagi").drivername == "postgresql+psycopg"
    assert sync_url("sqlite+aiosqlite:///data/dagi.db").drivername == "sqlite+pysqlite"


async def test_times_come_back_in_utc_from_a_server_in_another_zone(postgres_url: str) -> None:
    # The test cluster runs in Pacific/Chatham (tests/services.py); /admin audit shows these times as read.
    db = Database(open_engine(postgres_url.replace("postgresql+psycopg://", "postgresql://", 1)))
    await db.call(migrate, db.engine)
    people = PeopleStore(db)
    await people.audit(42, "reload", allowed=True)
    [entry] = await people.audit_log()
    assert entry.at.utcoffset() == timedelta(0)  # as written: utcnow()
    await db.close()
