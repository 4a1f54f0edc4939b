"""Usage rows and quota look-ups: the database is the truth, shared by every replica of the bot."""
from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from sqlalchemy import Connection, and_, bindparam, case, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage.db import Database
from storage.models import QuotaOverride, Usage, utcnow
from storage.records import AgentUse, Totals, UsageRow

ANSWERED = ("ok", "cut")  # outcomes that count as a served request
_TOKENS = func.coalesce(func.sum(Usage.tokens_in + Usage.tokens_out), 0)
_REQUESTS = func.coalesce(func.sum(case((Usage.outcome.in_(ANSWERED), 1), else_=0)), 0)
_ADD = insert(Usage)
_PROVIDER_TOKENS = select(_TOKENS).where(Usage.provider == bindparam("p"), Usage.day == bindparam("day"))
_PROVIDER_CALLS = select(func.count()).where(Usage.provider == bindparam("p"), Usage.created_at >= bindparam("since"))
_OVERRIDE = (select(QuotaOverride.daily_tokens, QuotaOverride.daily_requests)
             .where(QuotaOverride.kind == bindparam("kind"), QuotaOverride.subject_id == bindparam("sid")))


def _totals_query(column) -> object:  # type: ignore[no-untyped-def]
    """Tokens and answered requests of one subject on one day, with its override, in one statement."""
    o = QuotaOverride
    join = and_(o.kind == bindparam("kind"), o.subject_id == bindparam("sid"))
    used = select(_TOKENS.label("tokens"), _REQUESTS.label("requests")).where(
        column == bindparam("sid"), Usage.day == bindparam("day")).subquery()
    return select(used.c.tokens, used.c.requests, o.daily_tokens, o.daily_requests).select_from(
        used.outerjoin(o, join))


_TOTALS = {"user": _totals_query(Usage.user_id), "chat": _totals_query(Usage.chat_id)}
_BY_AGENT = (select(Usage.agent, _REQUESTS, func.coalesce(func.sum(Usage.tokens_in), 0),
                    func.coalesce(func.sum(Usage.tokens_out), 0), func.coalesce(func.sum(Usage.cost), 0.0))
             .where(Usage.user_id == bindparam("sid"), Usage.day == bindparam("day"))
             .group_by(Usage.agent).order_by(Usage.agent))


class UsageLedger:
    """Writes one row per model call and answers the sums quotas need."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._upsert = {"postgresql": pg_insert, "sqlite": sqlite_insert}.get(db.engine.dialect.name)

    async def record(self, row: UsageRow) -> None:
        """Store one model call."""
        values = asdict(row)
        values["created_at"] = values.pop("at")
        values["error"] = (values["error"] or None) and values["error"][:500]
        await self.db.run(lambda conn: conn.execute(_ADD, values))

    async def provider_tokens(self, provider: str, day: str) -> int:
        """Tokens a provider served on `day` (for its daily token quota)."""
        return int(await self.db.run(lambda c: c.execute(_PROVIDER_TOKENS, {"p": provider, "day": day}).scalar()))

    async def provider_calls_since(self, provider: str, since: datetime) -> int:
        """Calls made to a provider since `since` (for its requests-per-minute limit)."""
        return int(await self.db.run(lambda c: c.execute(_PROVIDER_CALLS, {"p": provider, "since": since}).scalar()))

    async def totals(self, kind: str, subject_id: int, day: str) -> Totals:
        """A user's (kind "user") or a chat's (kind "chat") use on `day` and its quota override."""
        params = {"kind": kind, "sid": subject_id, "day": day}
        row = await self.db.run(lambda c: c.execute(_TOTALS[kind], params).one())
        return Totals(int(row[0]), int(row[1]), row[2], row[3])

    async def by_agent(self, user_id: int, day: str) -> list[AgentUse]:
        """A user's use on `day`, one line per agent (for /usage)."""
        rows = await self.db.run(lambda c: c.execute(_BY_AGENT, {"sid": user_id, "day": day}).all())
        return [AgentUse(r[0] or "", int(r[1]), int(r[2]), int(r[3]), float(r[4])) for r in rows]

    async def set_override(self, kind: str, subject_id: int, *, tokens: int | None, requests: int | None) -> None:
        """Set a user's or chat's daily quota (None = the default, 0 = unlimited)."""
        values = dict(daily_tokens=tokens, daily_requests=requests, updated_at=utcnow())

        def work(conn: Connection) -> None:
            if self._upsert is not None:
                stmt = self._upsert(QuotaOverride).values(kind=kind, subject_id=subject_id, **values)
                conn.execute(stmt.on_conflict_do_update(index_elements=["kind", "subject_id"], set_=values))
                return
            found = conn.execute(_OVERRIDE, {"kind": kind, "sid": subject_id}).first()
            if found is None:
                conn.execute(insert(QuotaOverride).values(kind=kind, subject_id=subject_id, **values))
            else:
                conn.execute(QuotaOverride.__table__.update().where(
                    QuotaOverride.kind == kind, QuotaOverride.subject_id == subject_id).values(**values))
        await self.db.run(work)
