"""Who a broadcast reaches: private chats of users (all, or one agent's) and groups allowed as a whole."""
from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Connection, or_, select, true, update

from storage.db import Database
from storage.models import AllowedChat, Chat, Message, User

Kind = Literal["all", "users", "groups", "agent"]


@dataclass(frozen=True, slots=True)
class Recipient:
    """One chat to send to, through the bot that serves it; `user_id` is set for private chats."""

    bot: str
    chat_id: int
    user_id: int | None


class AudienceStore:
    """Reads the audience of a broadcast and marks groups that removed the bot."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def recipients(self, kind: Kind, *, agent: str | None = None, default_agent: str,
                         bots: Sequence[str] | None = None, locked: Mapping[str, str] | None = None) -> list[Recipient]:
        """Recipients of `kind`, one per chat; `bots` (first = main) limits and orders the bots that may send.

        A chat whose agent was never chosen talks to `default_agent`; a chat on a persona's own bot
        (`locked`: bot key → persona) talks to that persona whatever it stored.
        """
        people = await self.db.run(_private_chats) if kind in ("all", "users", "agent") else []
        groups = await self.db.run(_groups) if kind in ("all", "groups") else []
        if kind == "agent":
            locked = locked or {}
            people = [(bot, chat, a) for bot, chat, a in people
                      if locked.get(bot, a or default_agent) == agent]
        order = {b: i for i, b in enumerate(bots)} if bots is not None else {}
        preferred = agent if kind == "agent" else None

        def rank(r: Recipient) -> tuple[int, int]:  # the agent's own bot first, then the main bot, then the rest
            return (0 if r.bot == preferred else 1, order.get(r.bot, len(order)))
        found = [Recipient(b, c, c) for b, c, _ in people] + [Recipient(b, c, None) for b, c in groups]
        if bots is not None:  # a bot this process does not serve cannot send (another bot would be refused)
            found = [r for r in found if r.bot in order]
        chosen: dict[int, Recipient] = {}
        for r in sorted(found, key=rank):  # one message per chat even when several of our bots know it
            chosen.setdefault(r.chat_id, r)
        return sorted(chosen.values(), key=lambda r: (r.user_id is None, r.chat_id))

    async def mark_group_blocked(self, chat_id: int, blocked: bool = True) -> None:
        """Remember that the bot was removed from an allowed group (broadcasts skip it until it is allowed again)."""
        stmt = update(AllowedChat).where(AllowedChat.chat_id == chat_id).values(blocked=blocked)
        await self.db.run(lambda c: c.execute(stmt))


def _private_chats(conn: Connection) -> list[tuple[str, int, str | None]]:
    """(bot, chat, stored agent) of every private chat of a user who is neither banned nor blocked the bot.

    Chats rows exist once a chat changed a setting (/agent, /reset…); a user who only ever wrote
    has messages but no row, so private scopes are read from both.
    """
    excluded: Collection[int] = set(conn.execute(select(User.id).where(
        or_(User.role == "banned", User.blocked.is_(true())))).scalars())
    rows = conn.execute(select(Chat.bot, Chat.chat_id, Chat.agent).where(
        Chat.chat_type == "private", Chat.thread_id == 0)).all()
    scopes: dict[tuple[str, int], str | None] = {(r.bot, r.chat_id): r.agent for r in rows}
    seen = conn.execute(select(Message.bot, Message.chat_id).where(
        Message.chat_type == "private", Message.role == "user", Message.thread_id == 0).distinct()).all()
    for r in seen:
        scopes.setdefault((r.bot, r.chat_id), None)
    return [(bot, chat, agent) for (bot, chat), agent in scopes.items() if chat > 0 and chat not in excluded]


def _groups(conn: Connection) -> list[tuple[str, int]]:
    """(bot, chat) of every group allowed as a whole that has not removed the bot."""
    rows = conn.execute(select(AllowedChat.bot, AllowedChat.chat_id).where(AllowedChat.blocked.is_not(true()))).all()
    return [(r.bot, r.chat_id) for r in rows]
