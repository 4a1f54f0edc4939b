"""Daily usage sums: kept with every row, carried over from older databases, and the schema matches the models."""
from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import insert

from storage.db import Database, alembic_config, migrate, open_engine
from storage.models import Base, Usage
from storage.records import UsageRow
from storage.usage import UsageLedger
from storage.web_usage import WebUsage

DAY = "2026-11-30"
AT = datetime(2026, 11, 30, 10, tzinfo=UTC)


def _row(**kw: object) -> UsageRow:
    fields: dict[str, object] = dict(at=AT, day=DAY, provider="groq", model="llama", outcome="ok", chat_id=-5,
                                     user_id=7, tokens_in=10, tokens_out=5)
    return UsageRow(**{**fields, **kw})


async def test_quota_sums_follow_every_call_failed_ones_too(database_url: str) -> None:
    db = Database(open_engine(database_url))
    await db.call(migrate, db.engine)
    ledger = UsageLedger(db)
    await ledger.record(_row())
    await ledger.record(_row(outcome="timeout", tokens_in=0, tokens_out=0))
    await ledger.record(_row(outcome="cut", tokens_in=4, tokens_out=1, user_id=8))
    await ledger.record(_row(day="2026-12-01"))

    user7, user8, group = (await ledger.totals("user", 7, DAY), await ledger.totals("user", 8, DAY),
                           await ledger.totals("chat", -5, DAY))
    assert (user7.tokens, user7.requests) == (15, 1)  # the timeout is no answered request
    assert (user8.tokens, user8.requests) == (5, 1)  # a cut answer counts
    assert (group.tokens, group.requests) == (20, 2)
    assert await ledger.provider_tokens("groq", DAY) == 20
    assert await ledger.provider_tokens("groq", "2026-12-01") == 15
    assert (await ledger.totals("user", 9, DAY)).tokens == 0
    await db.close()


async def test_upgrade_keeps_todays_use_counting(database_url: str) -> None:
    """A database from before the daily sums: after the upgrade, quotas still see the day's earlier calls."""
    engine = open_engine(database_url)
    with engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002")
        conn.execute(insert(Usage), [
            dict(created_at=AT, day=DAY, provider="groq", model="m", outcome="ok", user_id=7, chat_id=-5,
                 tokens_in=100, tokens_out=20),
            dict(created_at=AT, day=DAY, provider="groq", model="m", outcome="rate_limited", user_id=7, chat_id=-5,
                 tokens_in=0, tokens_out=0),
        ])
    migrate(engine)
    ledger = UsageLedger(Database(engine))
    used = await ledger.totals("user", 7, DAY)
    assert (used.tokens, used.requests) == (120, 1)
    assert (await ledger.totals("chat", -5, DAY)).tokens == 120
    assert await ledger.provider_tokens("groq", DAY) == 120
    await ledger.db.close()


def test_migrations_build_exactly_the_models(database_url: str) -> None:
    engine = open_engine(database_url)
    migrate(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []


async def test_a_quota_larger_than_its_column_holds_is_kept_as_the_largest_it_holds(database_url: str) -> None:
    """`/admin quota user 7 5000000000 -`: Postgres refused the value (SQLite kept it); both now keep 2**31-1."""
    db = Database(open_engine(database_url))
    await db.call(migrate, db.engine)
    ledger, web = UsageLedger(db), WebUsage(db)
    await ledger.set_override("user", 7, tokens=5_000_000_000, requests=None)
    await web.set_override("user", 7, 10**12)
    assert await ledger.override("user", 7) == (2**31 - 1, None)
    assert (await web.searches("user", 7, DAY)).limit == 2**31 - 1
    await db.close()
