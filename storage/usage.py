"""Usage rows and quota look-ups: the database is the truth, shared by every replica of the bot."""
from __future__ import annotations

import time
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import (
    BindParameter,
    Connection,
    Executable,
    ScalarSelect,
    bindparam,
    case,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import InstrumentedAttribute

from storage.db import Database, upsert_for
from storage.models import QuotaOverride, Usage, UsageDaily, utcnow
from storage.records import BUSY, AgentUse, Totals, UsageRow

ANSWERED = ("ok", "cut")  # outcomes that count as a served request
# Calls that are no chat-model request of the user's: embedding a shared document, hearing or speaking a voice
# message (those have their own daily quota of seconds, see audio_seconds), and the bot's own upkeep of a long
# conversation's summary (at most one per several answers). They spend no user's or group's tokens.
NOT_CHAT = ("embed", "stt", "tts", "summary")
_TOKENS = func.coalesce(func.sum(Usage.tokens_in + Usage.tokens_out), 0)
_REQUESTS = func.coalesce(func.sum(case((Usage.outcome.in_(ANSWERED), 1), else_=0)), 0)
_ADD = insert(Usage)
_D = UsageDaily
T = TypeVar("T")
OVERRIDE_TTL = 30.0  # seconds a subject's quota override is trusted from memory (as access roles are)
Limits = tuple[int | None, int | None]  # an override's daily tokens and requests (None: the default applies)
INT_MAX = 2**31 - 1  # what an Integer column holds: Postgres refuses more (SQLite stored it), and more is no limit


def clamp(value: int | None) -> int | None:
    """A quota as its column can hold it."""
    return value if value is None else min(value, INT_MAX)


def _daily(column: InstrumentedAttribute[T]) -> ScalarSelect[T]:
    """One column of a subject's daily sums, as a scalar subquery (NULL when it has none yet)."""
    return select(column).where(_D.kind == bindparam("kind"), _D.subject == bindparam("subject"),
                                _D.day == bindparam("day")).scalar_subquery()


_PROVIDER_TOKENS = select(_daily(_D.tokens))
_BUMP_VALUES: dict[str, BindParameter[Any]] = {
    c: bindparam(c) for c in ("kind", "subject", "day", "tokens", "requests", "calls")}
_BUMP_UPDATE = update(UsageDaily).where(
    _D.kind == bindparam("kind"), _D.subject == bindparam("subject"), _D.day == bindparam("day")).values(
    tokens=_D.tokens + bindparam("tokens"), requests=_D.requests + bindparam("requests"),
    calls=_D.calls + bindparam("calls"))
# A passed-over busy provider (outcome busy) was not called: no request toward its per-minute limit.
_PROVIDER_CALLS = select(func.count()).where(Usage.provider == bindparam("p"), Usage.created_at >= bindparam("since"),
                                             Usage.outcome != BUSY)
_OVERRIDE = (select(QuotaOverride.daily_tokens, QuotaOverride.daily_requests)
             .where(QuotaOverride.kind == bindparam("kind"), QuotaOverride.subject_id == bindparam("sid")))


def _override(column: InstrumentedAttribute[T]) -> ScalarSelect[T]:
    o = QuotaOverride
    return select(column).where(o.kind == bindparam("kind"), o.subject_id == bindparam("sid")).scalar_subquery()


# Tokens and answered requests of one subject on one day, with its override: four key look-ups, one statement.
_TOTALS = select(_daily(_D.tokens), _daily(_D.requests), _override(QuotaOverride.daily_tokens),
                 _override(QuotaOverride.daily_requests))
_BY_AGENT = (select(Usage.agent, _REQUESTS, func.coalesce(func.sum(Usage.tokens_in), 0),
                    func.coalesce(func.sum(Usage.tokens_out), 0), func.coalesce(func.sum(Usage.cost), 0.0))
             .where(Usage.user_id == bindparam("sid"), Usage.day == bindparam("day"), Usage.mode.not_in(NOT_CHAT))
             .group_by(Usage.agent).order_by(Usage.agent))
_SECONDS = func.coalesce(func.sum(Usage.audio_seconds), 0.0)
_HEARD = (Usage.day == bindparam("day"), Usage.mode == "stt", Usage.outcome.in_(ANSWERED))
# Speech heard by one user or in one chat on a day: the (user_id, day) and (chat_id, day) indexes find the rows.
_HEARD_BY = {"user": select(_SECONDS).where(Usage.user_id == bindparam("sid"), *_HEARD),
             "chat": select(_SECONDS).where(Usage.chat_id == bindparam("sid"), *_HEARD)}
_AUDIO_TOTALS = (select(Usage.mode, _SECONDS)
                 .where(Usage.day == bindparam("day"), Usage.mode.in_(("stt", "tts")), Usage.outcome.in_(ANSWERED))
                 .group_by(Usage.mode))


class UsageLedger:
    """Writes one row per model call and answers the sums quotas need."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._upsert = upsert_for(db.engine)
        self._bump: Executable | None = None
        if self._upsert is not None:
            stmt = self._upsert(UsageDaily).values(_BUMP_VALUES)
            self._bump = stmt.on_conflict_do_update(index_elements=["kind", "subject", "day"], set_={
                "tokens": _D.tokens + stmt.excluded.tokens, "requests": _D.requests + stmt.excluded.requests,
                "calls": _D.calls + stmt.excluded.calls})
        self._overrides: dict[tuple[str, int], tuple[Limits, float]] = {}  # (kind, subject) → limits, when read

    async def record(self, row: UsageRow) -> None:
        """Store one model call and add it to the day's sums of its user, chat and provider, atomically."""
        values = {
            "created_at": row.at, "day": row.day, "bot": row.bot, "chat_id": row.chat_id, "user_id": row.user_id,
            "agent": row.agent, "mode": row.mode, "provider": row.provider, "model": row.model,
            "tokens_in": row.tokens_in, "tokens_out": row.tokens_out, "cost": row.cost,
            "latency_ms": row.latency_ms, "outcome": row.outcome, "error": row.error[:500] if row.error else None,
            "audio_seconds": row.audio_seconds, "queue_ms": row.queue_ms,
        }
        sums = {"day": row.day, "tokens": row.tokens_in + row.tokens_out,
                "requests": int(row.outcome in ANSWERED), "calls": 1}
        bumps = [{"kind": "provider", "subject": row.provider, **sums}]
        # Embedding a shared document spends the provider's tokens, not the user's or group's chat quota; nor
        # does hearing or speaking a voice message (its seconds have their own quota).
        if row.user_id and row.mode not in NOT_CHAT:
            bumps.append({"kind": "user", "subject": str(row.user_id), **sums})
        if row.chat_id and row.mode not in NOT_CHAT:
            bumps.append({"kind": "chat", "subject": str(row.chat_id), **sums})

        def work(conn: Connection) -> None:
            conn.execute(_ADD, values)
            if row.outcome == BUSY:
                return  # no call was made (the slots were full): nothing to add to anyone's day
            if self._bump is not None:
                conn.execute(self._bump, bumps)
                return
            for bump in bumps:  # other databases: update, insert when the day has no row yet
                if conn.execute(_BUMP_UPDATE, bump).rowcount == 0:
                    conn.execute(insert(UsageDaily).values(bump))
        await self.db.run(work)

    async def provider_tokens(self, provider: str, day: str) -> int:
        """Tokens a provider served on `day` (for its daily token quota)."""
        params = {"kind": "provider", "subject": provider, "day": day}
        tokens = await self.db.run(lambda c: c.execute(_PROVIDER_TOKENS, params).scalar())
        return int(tokens or 0)

    async def provider_calls_since(self, provider: str, since: datetime) -> int:
        """Calls made to a provider since `since` (for its requests-per-minute limit)."""
        params = {"p": provider, "since": since}
        return int(await self.db.run(lambda c: c.execute(_PROVIDER_CALLS, params).scalar_one()))

    async def totals(self, kind: str, subject_id: int, day: str) -> Totals:
        """A user's (kind "user") or a chat's (kind "chat") use on `day` and its quota override."""
        params = {"kind": kind, "sid": subject_id, "subject": str(subject_id), "day": day}
        row = await self.db.run(lambda c: c.execute(_TOTALS, params).one())
        self._remember(kind, subject_id, (row[2], row[3]))
        return Totals(int(row[0] or 0), int(row[1] or 0), row[2], row[3])

    async def override(self, kind: str, subject_id: int) -> Limits:
        """A user's or chat's quota override, from memory when read in the last OVERRIDE_TTL seconds: another
        replica's change shows within that time, this process's at once."""
        cached = self._overrides.get((kind, subject_id))
        if cached is not None and time.monotonic() - cached[1] < OVERRIDE_TTL:
            return cached[0]
        row = await self.db.run(lambda c: c.execute(_OVERRIDE, {"kind": kind, "sid": subject_id}).first())
        limits: Limits = (row[0], row[1]) if row is not None else (None, None)
        self._remember(kind, subject_id, limits)
        return limits

    def _remember(self, kind: str, subject_id: int, limits: Limits) -> None:
        if len(self._overrides) > 50_000:
            self._overrides.clear()
        self._overrides[(kind, subject_id)] = (limits, time.monotonic())

    async def by_agent(self, user_id: int, day: str) -> list[AgentUse]:
        """A user's use on `day`, one line per agent (for /usage)."""
        rows = await self.db.run(lambda c: c.execute(_BY_AGENT, {"sid": user_id, "day": day}).all())
        return [AgentUse(r[0] or "", int(r[1]), int(r[2]), int(r[3]), float(r[4])) for r in rows]

    async def audio_seconds(self, kind: str, subject: int, day: str) -> float:
        """Seconds of speech heard (answered "stt" calls) on `day` from a user (kind "user") or in a chat ("chat")."""
        stmt, params = _HEARD_BY[kind], {"sid": subject, "day": day}
        return float(await self.db.run(lambda c: c.execute(stmt, params).scalar_one()))

    async def audio_totals(self, day: str) -> tuple[float, float]:
        """Seconds of speech heard (stt) and spoken (tts) on `day`, everyone's (for /admin stats)."""
        rows = await self.db.run(lambda c: c.execute(_AUDIO_TOTALS, {"day": day}).all())
        found = {r[0]: float(r[1]) for r in rows}
        return found.get("stt", 0.0), found.get("tts", 0.0)

    async def set_override(self, kind: str, subject_id: int, *, tokens: int | None, requests: int | None) -> None:
        """Set a user's or chat's daily quota (None = the default, 0 = unlimited)."""
        values = dict(daily_tokens=clamp(tokens), daily_requests=clamp(requests), updated_at=utcnow())
        self._overrides.pop((kind, subject_id), None)

        def work(conn: Connection) -> None:
            if self._upsert is not None:
                stmt = self._upsert(QuotaOverride).values(kind=kind, subject_id=subject_id, **values)
                conn.execute(stmt.on_conflict_do_update(index_elements=["kind", "subject_id"], set_=values))
                return
            found = conn.execute(_OVERRIDE, {"kind": kind, "sid": subject_id}).first()
            if found is None:
                conn.execute(insert(QuotaOverride).values(kind=kind, subject_id=subject_id, **values))
            else:
                conn.execute(update(QuotaOverride).where(
                    QuotaOverride.kind == kind, QuotaOverride.subject_id == subject_id).values(**values))
        await self.db.run(work)
        # Again after the write: a quota check during it may have cached the old value for OVERRIDE_TTL.
        self._overrides.pop((kind, subject_id), None)
