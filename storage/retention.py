"""What history retention and /forget delete, and what they keep as anonymous counts."""
from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from sqlalchemy import ColumnElement, Connection, Select, and_, delete, func, not_, or_, select, update

from storage.db import Database
from storage.models import (
    Chat,
    ConversationSummary,
    KbDocument,
    Message,
    QuotaOverride,
    Reminder,
    Usage,
    UsageDaily,
    User,
    WebUse,
)

BATCH = 500  # ids per DELETE: under every database's parameter limit, and short enough not to stall the loop


@dataclass(frozen=True, slots=True)
class Holdings:
    """What the bot keeps about one user (what /forget would delete or anonymise)."""

    messages: int
    documents: int
    reminders: int
    usage_rows: int


@dataclass(frozen=True, slots=True)
class Erased:
    """What erasing a user's data did; `chat_ids` are the chats whose cached history is now stale."""

    messages: int
    chats: int
    reminders: int
    usage_rows: int  # anonymised, not deleted
    daily_rows: int  # per-day sums of earlier days, deleted
    profile_kept: bool  # the users row stays with its id and role only
    chat_ids: frozenset[int]


def _theirs(user_id: int) -> ColumnElement[bool]:
    """Their own messages, the answers to them, and everything in their private chats (any bot, any topic)."""
    mine = (Message.role == "user") & (Message.user_id == user_id)
    return or_(mine, Message.chat_id == user_id, Message.reply_to.in_(select(Message.id).where(mine)))


def _summaries_of(user_id: int) -> ColumnElement[bool]:
    """Summaries of their private chats and every summary (a group's too) that folded in a message of theirs."""
    return or_(ConversationSummary.chat_id == user_id, ConversationSummary.authors.contains(f",{user_id},"))


def _delete_ids(conn: Connection, ids: Sequence[int]) -> int:
    done = 0
    for i in range(0, len(ids), BATCH):
        done += conn.execute(delete(Message).where(Message.id.in_(ids[i:i + BATCH]))).rowcount
    return done


class RetentionStore:
    """Deletes and anonymises in bounded transactions; every method returns how many rows it touched."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def delete_old_messages(self, cutoff: datetime) -> tuple[int, frozenset[int]]:
        """Messages created before `cutoff`, except pending ones (still to be answered); and the chats they were in."""
        old = (select(Message.id, Message.chat_id).where(Message.created_at < cutoff, Message.status != "pending")
               .order_by(Message.id).limit(BATCH))
        total, chats = 0, set[int]()
        while True:  # one batch per transaction: a first run over years of history never holds the loop long
            rows = await self.db.run(lambda c: c.execute(old).all())
            if not rows:
                return total, frozenset(chats)
            chats.update(r.chat_id for r in rows)
            ids = [r.id for r in rows]
            deleted = await self.db.run(partial(_delete_ids, ids=ids))
            if not deleted:  # someone else deleted them first: do not spin
                return total, frozenset(chats)
            total += deleted
            await asyncio.sleep(0)

    async def prune_reminders(self, cutoff: datetime) -> int:
        """Reminders no longer pending (sent, deleted, failed) created and fired before `cutoff`."""
        stmt = delete(Reminder).where(Reminder.status != "pending", Reminder.created_at < cutoff,
                                      or_(Reminder.sent_at.is_(None), Reminder.sent_at < cutoff))
        return int(await self.db.run(lambda c: c.execute(stmt).rowcount))

    async def prune_daily(self, before_day: str) -> int:
        """Per-day usage sums of days before `before_day` (YYYY-MM-DD); the usage rows themselves stay."""
        stmt = delete(UsageDaily).where(UsageDaily.day < before_day)
        return int(await self.db.run(lambda c: c.execute(stmt).rowcount))

    async def holdings(self, user_id: int) -> Holdings:
        """Counts of what /forget would remove for this user."""
        def work(conn: Connection) -> Holdings:
            def count(stmt: Select[int]) -> int:
                return int(conn.execute(stmt).scalar() or 0)
            return Holdings(
                messages=count(select(func.count()).select_from(Message).where(_theirs(user_id))),
                documents=count(select(func.count()).select_from(KbDocument).where(KbDocument.added_by == user_id)),
                reminders=count(select(func.count()).select_from(Reminder).where(Reminder.user_id == user_id)),
                usage_rows=count(select(func.count()).select_from(Usage).where(
                    or_(Usage.user_id == user_id, Usage.chat_id == user_id)))
                + count(select(func.count()).select_from(WebUse).where(
                    or_(WebUse.user_id == user_id, WebUse.chat_id == user_id))))
        return await self.db.run(work)

    async def documents_of(self, user_id: int) -> list[tuple[int, str]]:
        """(number, scope) of every knowledge-base document the user uploaded."""
        stmt = select(KbDocument.id, KbDocument.scope).where(KbDocument.added_by == user_id).order_by(KbDocument.id)
        return [(int(r[0]), str(r[1])) for r in await self.db.run(lambda c: c.execute(stmt).all())]

    async def reminders_of(self, user_id: int) -> list[int]:
        """Ids of every reminder of the user (their scheduler jobs are `reminder:<id>`)."""
        stmt = select(Reminder.id).where(Reminder.user_id == user_id)
        return [int(i) for i in await self.db.run(lambda c: c.execute(stmt).scalars().all())]

    async def erase_user(self, user_id: int, *, today: str, keep_roles: Collection[str]) -> Erased:
        """Delete a user's messages, private chats, reminders and profile; anonymise their usage; one transaction.

        Today's per-day sums stay (so erasing cannot reset a daily quota); the users row keeps its id and role
        when the role is one of `keep_roles`, and with it the user's quota override.
        """
        subject = str(user_id)

        def work(conn: Connection) -> Erased:
            found = conn.execute(select(Message.id, Message.chat_id).where(_theirs(user_id))).all()
            messages = _delete_ids(conn, [r.id for r in found])
            usage = conn.execute(select(func.count()).select_from(Usage).where(
                or_(Usage.user_id == user_id, Usage.chat_id == user_id))).scalar() or 0
            conn.execute(update(Usage).where(Usage.user_id == user_id).values(user_id=0))
            conn.execute(update(Usage).where(Usage.chat_id == user_id).values(chat_id=0))
            usage += _anonymise_web(conn, user_id, today)
            daily = conn.execute(delete(UsageDaily).where(
                UsageDaily.kind.in_(("user", "chat")), UsageDaily.subject == subject, UsageDaily.day < today)).rowcount
            # After their messages: a summary being saved holds those rows locked, so it lands first and goes here.
            summarised = conn.execute(select(ConversationSummary.chat_id).where(_summaries_of(user_id))).scalars().all()
            conn.execute(delete(ConversationSummary).where(_summaries_of(user_id)))
            role = conn.execute(select(User.role).where(User.id == user_id)).scalar()
            kept = role is not None and role in keep_roles
            if kept:
                conn.execute(update(User).where(User.id == user_id).values(
                    username=None, first_name=None, language=None, tz=None, blocked=False))
            else:
                conn.execute(delete(User).where(User.id == user_id))
                conn.execute(delete(QuotaOverride).where(QuotaOverride.kind == "user",
                                                         QuotaOverride.subject_id == user_id))
            return Erased(
                messages=messages, chats=conn.execute(delete(Chat).where(Chat.chat_id == user_id)).rowcount,
                reminders=conn.execute(delete(Reminder).where(Reminder.user_id == user_id)).rowcount,
                usage_rows=int(usage), daily_rows=daily, profile_kept=kept,
                chat_ids=frozenset({user_id, *(r.chat_id for r in found), *summarised}))
        return await self.db.run(work)


def _anonymise_web(conn: Connection, user_id: int, today: str) -> int:
    """Web-use rows of the user (or their private chat) lose the id; how many there were.

    Today's questions keep it: they are the day's search quota, as today's sums of model use stay.
    """
    theirs = or_(WebUse.user_id == user_id, WebUse.chat_id == user_id)
    found = int(conn.execute(select(func.count()).select_from(WebUse).where(theirs)).scalar() or 0)
    spent = and_(WebUse.kind == "question", WebUse.day >= today)
    conn.execute(update(WebUse).where(WebUse.user_id == user_id, not_(spent)).values(user_id=0))
    conn.execute(update(WebUse).where(WebUse.chat_id == user_id, not_(spent)).values(chat_id=0))
    return found
