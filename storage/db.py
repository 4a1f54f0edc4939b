"""Engine, where statements run, and Alembic migrations applied at start."""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, Row, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import StaticPool

T = TypeVar("T")
AnyRow = Row[*tuple[Any, ...]]  # a result row, whatever its columns
MIGRATIONS = Path(__file__).parent / "migrations"
# Async driver names users put in DATABASE_URL → the sync driver our DB thread uses.
_SYNC_DRIVERS = {"aiosqlite": "pysqlite", "asyncpg": "psycopg", "psycopg_async": "psycopg",
                 "aiomysql": "pymysql", "asyncmy": "pymysql"}


def sync_url(url: str) -> URL:
    """The same database with a synchronous driver (sqlite+aiosqlite → sqlite+pysqlite, …)."""
    parsed = make_url(url)
    driver = _SYNC_DRIVERS.get(parsed.get_driver_name())
    return parsed.set(drivername=f"{parsed.get_backend_name()}+{driver}") if driver else parsed


Upsert = Callable[[Any], postgresql.Insert | sqlite.Insert]  # INSERT … ON CONFLICT for one table


def upsert_for(engine: Engine) -> Upsert | None:
    """The engine's INSERT … ON CONFLICT builder (PostgreSQL and SQLite have one); None for other databases."""
    builders: dict[str, Upsert] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
    return builders.get(engine.dialect.name)


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config that points at our migrations, usable without alembic.ini."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def _sqlite_pragmas(dbapi_conn: Any, _record: object) -> None:
    # WAL lets readers run beside the writer; NORMAL sync is durable across a process
    # crash (kill -9), which is what "nothing is lost" needs, at a fraction of FULL's cost.
    cur = dbapi_conn.cursor()
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=5000", "foreign_keys=ON"):
        cur.execute(f"PRAGMA {pragma}")
    cur.close()


def open_engine(url: str) -> Engine:
    """A sync engine for the DB thread; SQLite files get their folder and fast, safe pragmas."""
    parsed = sync_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    if parsed.database in (None, "", ":memory:"):  # one shared connection, or each sees an empty database
        engine = create_engine(parsed, poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, pool_size=1, max_overflow=0)
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision."""
    with engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


class Database:
    """Runs SQLAlchemy work off the event loop's critical path, one transaction per operation.

    A network database (Postgres) runs on one dedicated thread: one hop per operation (aiosqlite
    hopped once per driver call, ~15 wake-ups and ~2.4 ms CPU per message here). SQLite runs inline:
    its statements are local file writes (WAL, synchronous=NORMAL: no fsync per commit) of ~0.1 ms,
    cheaper than the two thread wake-ups a hop costs (measured: 0.86 → 0.34 ms per message).
    """

    def __init__(self, engine: Engine, *, inline: bool | None = None) -> None:
        self.engine = engine
        self.inline = engine.dialect.name == "sqlite" if inline is None else inline
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="db")

    async def run(self, work: Callable[[Connection], T]) -> T:
        """Run `work(conn)` in one transaction."""
        if self.inline:
            return self._transaction(work)
        return await self.call(self._transaction, work)

    async def call(self, fn: Callable[..., T], *args: object) -> T:
        """Run any blocking `fn(*args)` on the DB thread."""
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn, *args)

    def _transaction(self, work: Callable[[Connection], T]) -> T:
        with self.engine.begin() as conn:
            return work(conn)

    async def close(self) -> None:
        """Finish queued work, then release connections."""
        await self.call(self.engine.dispose)
        self._thread.shutdown(wait=True)
