"""Web-search use: a row per question, per query to a search backend and per page read; daily counts and quotas."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, case, func, insert, select, update

from storage.db import Database, upsert_for
from storage.models import QuotaOverride, WebUse, utcnow
from storage.usage import clamp

KINDS = ("question", "search", "read")
_ADD = insert(WebUse)
_QUESTIONS = {kind: select(func.count()).where(column == bindparam("sid"), WebUse.day == bindparam("day"),
                                                   WebUse.kind == "question").scalar_subquery()
              for kind, column in (("user", WebUse.user_id), ("chat", WebUse.chat_id))}
_OVERRIDE = (select(QuotaOverride.daily_searches).where(QuotaOverride.kind == bindparam("kind"),
                                                        QuotaOverride.subject_id == bindparam("sid"))
             .scalar_subquery())
_OF_USER = (select(WebUse.kind, func.count())
            .where(WebUse.user_id == bindparam("sid"), WebUse.day == bindparam("day"), WebUse.ok.is_(True))
            .group_by(WebUse.kind))
_OF_DAY = (select(WebUse.kind, WebUse.backend, func.sum(case((WebUse.ok.is_(True), 1), else_=0)),
                  func.sum(case((WebUse.ok.is_(True), 0), else_=1)))
           .where(WebUse.day == bindparam("day")).group_by(WebUse.kind, WebUse.backend))


@dataclass(frozen=True, slots=True)
class WebUseRow:
    """One question (`backend` says how it was asked: command | auto), backend query, or page read (host)."""

    at: datetime
    day: str
    kind: str  # question | search | read
    backend: str = ""
    ok: bool = True
    latency_ms: float = 0.0
    bot: str = ""
    chat_id: int = 0
    user_id: int = 0
    agent: str = ""


@dataclass(frozen=True, slots=True)
class Searches:
    """A user's or a chat's web-search questions on one day and an admin's override (None = the default)."""

    used: int
    limit: int | None


@dataclass(frozen=True, slots=True)
class WebCounts:
    """What one user's web searches took on one day (for /usage): questions, answered queries, pages read."""

    questions: int = 0
    searches: int = 0
    reads: int = 0


@dataclass(frozen=True, slots=True)
class WebLine:
    """One kind and backend (or page host) of a day's web use, for /admin stats."""

    kind: str
    backend: str
    ok: int
    failed: int


class WebUsage:
    """Writes web-use rows and answers the counts quotas, /usage and /admin stats need."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._upsert = upsert_for(db.engine)

    async def record(self, row: WebUseRow) -> None:
        """Store one row."""
        values = {"created_at": row.at, "day": row.day, "kind": row.kind, "bot": row.bot, "chat_id": row.chat_id,
                  "user_id": row.user_id, "agent": row.agent, "backend": row.backend[:255], "ok": row.ok,
                  "latency_ms": row.latency_ms}
        await self.db.run(lambda c: c.execute(_ADD, values))

    async def searches(self, kind: str, subject_id: int, day: str) -> Searches:
        """Questions a user (kind "user") or a chat (kind "chat") asked the web on `day`, and its override."""
        stmt = select(_QUESTIONS[kind], _OVERRIDE)
        row = await self.db.run(lambda c: c.execute(stmt, {"kind": kind, "sid": subject_id, "day": day}).one())
        return Searches(int(row[0] or 0), row[1])

    async def of_user(self, user_id: int, day: str) -> WebCounts:
        """A user's questions, answered backend queries and pages read (refusals left out) on `day`."""
        rows = await self.db.run(lambda c: c.execute(_OF_USER, {"sid": user_id, "day": day}).all())
        found = {r[0]: int(r[1]) for r in rows}
        return WebCounts(found.get("question", 0), found.get("search", 0), found.get("read", 0))

    async def of_day(self, day: str) -> list[WebLine]:
        """Every kind and backend (page host for reads) used on `day`, with successes and failures."""
        rows = await self.db.run(lambda c: c.execute(_OF_DAY, {"day": day}).all())
        return [WebLine(r[0], r[1], int(r[2] or 0), int(r[3] or 0)) for r in rows]

    async def set_override(self, kind: str, subject_id: int, searches: int | None) -> None:
        """Set a user's or chat's daily web-search quota (None = the default, 0 = unlimited); token limits stay."""
        values = {"daily_searches": clamp(searches), "updated_at": utcnow()}

        def work(conn: Connection) -> None:
            if self._upsert is not None:
                stmt = self._upsert(QuotaOverride).values(kind=kind, subject_id=subject_id, **values)
                conn.execute(stmt.on_conflict_do_update(index_elements=["kind", "subject_id"], set_=values))
                return
            found = conn.execute(update(QuotaOverride).where(
                QuotaOverride.kind == kind, QuotaOverride.subject_id == subject_id).values(**values)).rowcount
            if not found:
                conn.execute(insert(QuotaOverride).values(kind=kind, subject_id=subject_id, **values))
        await self.db.run(work)
