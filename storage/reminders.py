"""Reminder rows: add under a per-user limit, list, claim for sending exactly once, delete by their owner, and
take back a claim whose sender died (the row stays `sending` past a lease)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, and_, func, insert, select, update

from storage.db import AnyRow, Database
from storage.models import Reminder, utcnow


@dataclass(frozen=True, slots=True)
class ReminderRow:
    """One reminder as the feature sees it; `due_at` is aware UTC."""

    id: int
    bot: str
    chat_id: int
    thread_id: int
    user_id: int
    text: str
    due_at: datetime
    tz: str
    language: str
    status: str


def _utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes: they were stored as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


_COLUMNS = (Reminder.id, Reminder.bot, Reminder.chat_id, Reminder.thread_id, Reminder.user_id, Reminder.text,
            Reminder.due_at, Reminder.tz, Reminder.language, Reminder.status)


def _row(r: AnyRow) -> ReminderRow:
    return ReminderRow(r.id, r.bot, r.chat_id, r.thread_id or 0, r.user_id, r.text, _utc(r.due_at), r.tz,
                       r.language, r.status)


class ReminderStore:
    """Every call is one transaction on the bot's database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, *, bot: str, chat_id: int, thread_id: int, user_id: int, text: str, due_at: datetime,
                  tz: str, language: str, limit: int, now: datetime | None = None) -> int | None:
        """Store a pending reminder and return its id; None when the user already has `limit` pending."""
        values = dict(bot=bot, chat_id=chat_id, thread_id=thread_id, user_id=user_id, text=text,
                      due_at=due_at.astimezone(UTC), tz=tz, language=language, status="pending",
                      created_at=(now or utcnow()).astimezone(UTC))
        count = (select(func.count()).select_from(Reminder)
                 .where(Reminder.user_id == user_id, Reminder.status == "pending"))

        def work(conn: Connection) -> int | None:
            if conn.execute(count).scalar_one() >= limit:
                return None
            key = conn.execute(insert(Reminder).values(**values)).inserted_primary_key
            assert key is not None  # an INSERT of one row always has its key
            return int(key[0])
        return await self.db.run(work)

    async def get(self, reminder_id: int) -> ReminderRow | None:
        """One reminder, whatever its status."""
        stmt = select(*_COLUMNS).where(Reminder.id == reminder_id)
        row = await self.db.run(lambda c: c.execute(stmt).first())
        return _row(row) if row else None

    async def pending(self, user_id: int, chat_id: int | None = None) -> list[ReminderRow]:
        """A user's pending reminders (in one chat, or everywhere), soonest first."""
        stmt = select(*_COLUMNS).where(Reminder.user_id == user_id, Reminder.status == "pending")
        if chat_id is not None:
            stmt = stmt.where(Reminder.chat_id == chat_id)
        stmt = stmt.order_by(Reminder.due_at, Reminder.id)
        return [_row(r) for r in await self.db.run(lambda c: c.execute(stmt).all())]

    async def all_pending(self, *, created_after: datetime | None = None) -> list[ReminderRow]:
        """Every pending reminder (or those created lately), for re-creating their jobs."""
        stmt = select(*_COLUMNS).where(Reminder.status == "pending")
        if created_after is not None:
            stmt = stmt.where(Reminder.created_at >= created_after.astimezone(UTC))
        return [_row(r) for r in await self.db.run(lambda c: c.execute(stmt.order_by(Reminder.id)).all())]

    async def claim(self, reminder_id: int, now: datetime) -> ReminderRow | None:
        """Mark a pending reminder `sending` (since `now`) and return it; None when it is not pending (sent,
        deleted, another run has it)."""
        stmt = (update(Reminder).where(Reminder.id == reminder_id, Reminder.status == "pending")
                .values(status="sending", sent_at=now.astimezone(UTC)))

        def work(conn: Connection) -> ReminderRow | None:
            if conn.execute(stmt).rowcount != 1:
                return None
            return _row(conn.execute(select(*_COLUMNS).where(Reminder.id == reminder_id)).one())
        return await self.db.run(work)

    async def renew(self, reminder_id: int, now: datetime) -> None:
        """A run still sending (Telegram asked it to wait) keeps its claim: sending since `now`."""
        stmt = (update(Reminder).where(Reminder.id == reminder_id, Reminder.status == "sending")
                .values(sent_at=now.astimezone(UTC)))
        await self.db.run(lambda c: c.execute(stmt))

    async def take_back(self, claimed_before: datetime) -> list[int]:
        """Reminders claimed before `claimed_before` and never settled (their sender died): pending again."""
        stale = and_(Reminder.status == "sending", Reminder.sent_at < claimed_before.astimezone(UTC))

        def work(conn: Connection) -> list[int]:
            ids = [int(i) for i in conn.execute(select(Reminder.id).where(stale)).scalars()]
            # Re-checked per row: a slow sender that settles meanwhile keeps its reminder.
            return [i for i in ids
                    if conn.execute(update(Reminder).where(Reminder.id == i, stale).values(status="pending")).rowcount]
        return await self.db.run(work)

    async def set_status(self, reminder_id: int, status: str) -> None:
        """Record what became of a reminder (failed: it could not be delivered)."""
        stmt = update(Reminder).where(Reminder.id == reminder_id).values(status=status)
        await self.db.run(lambda c: c.execute(stmt))

    async def delete(self, reminder_id: int, user_id: int) -> bool:
        """The owner deletes a pending reminder; False when it is not theirs or no longer pending."""
        stmt = (update(Reminder).where(Reminder.id == reminder_id, Reminder.user_id == user_id,
                                       Reminder.status == "pending").values(status="deleted"))
        return bool(await self.db.run(lambda c: c.execute(stmt).rowcount))
