"""Read-only sums for the admins' stats and the owners' report: activity from messages, model calls from usage."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, case, distinct, func, select, union

from storage.db import Database
from storage.models import Chat, Message, ProviderEvent, Usage, User
from storage.records import BUSY

ANSWERED = ("ok", "cut")
# Neither an answer nor the provider's fault: the caller stopped reading, or the provider's slots were full and the
# request went on to its next target (counted apart, see overflows).
NOT_COUNTED = ("cancelled", BUSY)
OVERFLOW_REASONS = (BUSY, "queue_full")  # no slot freed within queue_timeout; too many waiting already (max_queue)
MAX_WAITS = 100_000  # queue waits read for a day's percentiles: the latest ones beyond this
DOWN = ("unavailable", "timeout")  # outcomes that mean the provider itself did not answer
SPEECH = ("stt", "tts")  # hearing and speaking voice messages: apart from the answers, as embeddings are


@dataclass(frozen=True, slots=True)
class Activity:
    """People, chats and user messages: all time, on the day, and per agent on the day and its week."""

    users_total: int
    users_active: int
    chats_total: int
    chats_active: int
    by_agent: dict[str, tuple[int, int]]  # agent → (messages on the day, in the 7 days ending it)


@dataclass(frozen=True, slots=True)
class CallSums:
    """One provider:model's calls on a day, for one kind of call (embed, speech or generation)."""

    provider: str
    model: str
    embed: bool
    tokens_in: int
    tokens_out: int
    cost: float
    answered: int
    errors: int
    down: int  # errors that were unavailable / timeout
    speech: bool = False  # speech heard or spoken (modes stt, tts)


@dataclass(frozen=True, slots=True)
class DayUsage:
    """One provider's calls on one quota day: every kind's tokens and cost, and its answered generation calls."""

    day: str  # YYYY-MM-DD in the quota time zone
    provider: str
    tokens: int  # in + out
    cost: float
    answered: int  # answered chat, vision and OCR calls: the local share's numerator or denominator


class StatsStore:
    """Sums over messages, usage rows and provider events; each call is one read transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def activity(self, start: datetime, end: datetime, week_start: datetime) -> Activity:
        """Users and chats seen, and user messages in [start, end) and [week_start, end) (UTC bounds)."""
        inbound = (Message.role == "user",)
        on_day = (Message.created_at >= start, Message.created_at < end)
        chats = union(select(Message.chat_id), select(Chat.chat_id)).subquery()
        per_agent = (select(func.coalesce(Message.agent, ""), func.sum(case((Message.created_at >= start, 1), else_=0)),
                            func.count())
                     .where(*inbound, Message.created_at >= week_start, Message.created_at < end)
                     .group_by(Message.agent))

        def work(conn: Connection) -> Activity:
            active = conn.execute(select(func.count(distinct(Message.user_id)), func.count(distinct(Message.chat_id)))
                                  .where(*inbound, *on_day)).one()
            return Activity(
                users_total=int(conn.execute(select(func.count()).select_from(User)).scalar() or 0),
                users_active=int(active[0]),
                chats_total=int(conn.execute(select(func.count()).select_from(chats)).scalar() or 0),
                chats_active=int(active[1]),
                by_agent={str(r[0]): (int(r[1] or 0), int(r[2])) for r in conn.execute(per_agent)})
        return await self.db.run(work)

    async def calls(self, day: str) -> list[CallSums]:
        """Model calls of a quota day per provider:model, embeddings and speech apart; cancelled calls left out."""
        answered = Usage.outcome.in_(ANSWERED)
        stmt = (select(Usage.provider, Usage.model, Usage.mode, func.sum(Usage.tokens_in), func.sum(Usage.tokens_out),
                       func.sum(Usage.cost), func.sum(case((answered, 1), else_=0)),
                       func.sum(case((answered, 0), else_=1)), func.sum(case((Usage.outcome.in_(DOWN), 1), else_=0)))
                .where(Usage.day == day, Usage.outcome.not_in(NOT_COUNTED))
                .group_by(Usage.provider, Usage.model, Usage.mode))
        sums: dict[tuple[str, str, bool, bool], list[float]] = {}
        for r in await self.db.run(lambda c: c.execute(stmt).all()):  # chat, vision and OCR calls add up
            into = sums.setdefault((r[0], r[1], r[2] == "embed", r[2] in SPEECH), [0, 0, 0.0, 0, 0, 0])
            for i, value in enumerate(r[3:]):
                into[i] += value or 0
        return [CallSums(p, m, e, int(v[0]), int(v[1]), float(v[2]), int(v[3]), int(v[4]), int(v[5]), speech=s)
                for (p, m, e, s), v in sorted(sums.items())]

    async def latencies(self, day: str) -> list[float]:
        """Latency (ms) of every answered generation call of a quota day (embeddings and speech excluded)."""
        stmt = select(Usage.latency_ms).where(Usage.day == day, Usage.outcome.in_(ANSWERED),
                                              Usage.mode.not_in(("embed", *SPEECH)))
        return [float(v) for v in await self.db.run(lambda c: c.execute(stmt).scalars().all())]

    async def overflows(self, day: str) -> dict[str, int]:
        """Requests that passed a busy provider over on a quota day, by reason: busy (no slot in time), queue_full."""
        stmt = (select(Usage.error, func.count()).where(Usage.day == day, Usage.outcome == BUSY)
                .group_by(Usage.error))
        found: dict[str, int] = {}
        for error, count in await self.db.run(lambda c: c.execute(stmt).all()):
            reason = (error or BUSY).partition(":")[0]  # "queue_full: its waiting line is full"
            reason = reason if reason in OVERFLOW_REASONS else BUSY  # a speech provider's own "busy" has no reason
            found[reason] = found.get(reason, 0) + int(count)
        return found

    async def queue_waits(self, day: str, limit: int = MAX_WAITS) -> list[float]:
        """Milliseconds each call of a quota day waited for its slot (calls to providers with slots; the latest
        `limit`); the requests that gave up waiting and moved on are counted by overflows instead."""
        stmt = (select(Usage.queue_ms).where(Usage.day == day, Usage.queue_ms.is_not(None), Usage.outcome != BUSY)
                .order_by(Usage.id.desc()).limit(limit))
        return [float(v or 0) for v in await self.db.run(lambda c: c.execute(stmt).scalars().all())]

    async def messages_per_day(self, days: Sequence[tuple[datetime, datetime]]) -> list[int]:
        """User messages in each of the consecutive [start, end) UTC bounds, in one query (a sum per day)."""
        if not days:
            return []
        sums = [func.sum(case((and_(Message.created_at >= s, Message.created_at < e), 1), else_=0)) for s, e in days]
        stmt = select(*sums).where(Message.role == "user", Message.created_at >= days[0][0],
                                   Message.created_at < days[-1][1])
        row = await self.db.run(lambda c: c.execute(stmt).one())
        return [int(v or 0) for v in row]

    async def usage_per_day(self, first: str, last: str) -> list[DayUsage]:
        """Model calls per quota day and provider for the days first..last (inclusive); cancelled calls left out."""
        answered = and_(Usage.outcome.in_(ANSWERED), Usage.mode.not_in(("embed", *SPEECH)))
        stmt = (select(Usage.day, Usage.provider, func.sum(Usage.tokens_in + Usage.tokens_out), func.sum(Usage.cost),
                       func.sum(case((answered, 1), else_=0)))
                .where(Usage.day >= first, Usage.day <= last, Usage.outcome.not_in(NOT_COUNTED))
                .group_by(Usage.day, Usage.provider).order_by(Usage.day, Usage.provider))
        return [DayUsage(str(r[0]), str(r[1]), int(r[2] or 0), float(r[3] or 0.0), int(r[4] or 0))
                for r in await self.db.run(lambda c: c.execute(stmt).all())]

    async def outages(self, start: datetime, end: datetime) -> dict[str, int]:
        """Providers the health check saw down in [start, end): provider → times it went down (0: down since before)."""
        went_down = (select(ProviderEvent.provider, func.count()).where(
            ProviderEvent.healthy.is_(False), ProviderEvent.at >= start, ProviderEvent.at < end)
            .group_by(ProviderEvent.provider))
        latest = (select(func.max(ProviderEvent.id)).where(ProviderEvent.at < start)
                  .group_by(ProviderEvent.provider))
        carried = select(ProviderEvent.provider).where(ProviderEvent.id.in_(latest), ProviderEvent.healthy.is_(False))

        def work(conn: Connection) -> dict[str, int]:
            found = {p: 0 for p in conn.execute(carried).scalars()}  # still down when the day began
            found.update({r[0]: int(r[1]) for r in conn.execute(went_down)})
            return found
        return await self.db.run(work)
