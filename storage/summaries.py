"""Rolling conversation summaries: read per turn (cached), written by the background summariser, cleared by /reset."""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from storage.db import Database
from storage.models import Chat, ConversationSummary, Message, User, utcnow
from storage.records import Scope

S = ConversationSummary
_SCOPE = (S.bot == bindparam("b"), S.chat_id == bindparam("c"), S.thread_id == bindparam("t"))
_GET = select(S.text, S.covered, S.turns, S.updated_at).where(*_SCOPE, S.conversation == bindparam("conv"))
_EXCHANGE = func.coalesce(Message.reply_to, Message.id)
_Q = aliased(Message)
# The oldest question still waiting for its answer (a replica died; it waits for the lease): folds stop before it, or
# its late exchange would be below `covered`, in neither the summary nor the verbatim history.
_WAITING = (select(func.min(_Q.id)).where(_Q.bot == bindparam("b"), _Q.chat_id == bindparam("c"),
                                          _Q.thread_id == bindparam("t"), _Q.conversation == bindparam("conv"),
                                          _Q.status == "pending", _Q.role == "user").scalar_subquery())
_AFTER = (select(Message.id, _EXCHANGE.label("key"), Message.role, Message.text, Message.user_id,
                 Message.attachments, Message.created_at, User.first_name)
          .outerjoin(User, User.id == Message.user_id)
          .where(Message.bot == bindparam("b"), Message.chat_id == bindparam("c"), Message.thread_id == bindparam("t"),
                 Message.conversation == bindparam("conv"), Message.status == "done", _EXCHANGE > bindparam("after"),
                 or_(_WAITING.is_(None), _EXCHANGE < _WAITING))
          .order_by(_EXCHANGE, Message.id).limit(bindparam("lim")))
# Locked while a summary is saved: /forget deleting these messages, or /reset moving the chat on, waits for the save
# and then deletes the new summary too (Postgres); SQLite runs one writer at a time anyway.
_FOLDED = select(Message.id).where(Message.id.in_(bindparam("ids", expanding=True))).with_for_update()
_CURRENT = (select(Chat.conversation).where(Chat.bot == bindparam("b"), Chat.chat_id == bindparam("c"),
                                            Chat.thread_id == bindparam("t")).with_for_update())


@dataclass(frozen=True, slots=True)
class Summary:
    """A conversation's summary: its text, the newest exchange folded in and how many messages went in."""

    text: str
    covered: int  # the question id of the newest exchange folded in; history after it is still verbatim
    turns: int = 0
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Said:
    """One stored message the summariser reads: who said what, in which exchange."""

    id: int
    key: int  # the exchange (its question's id)
    role: str  # user | assistant
    text: str
    user_id: int | None = None
    name: str | None = None  # the author's first name, when the bot knows it (groups name their members)
    at: datetime | None = None  # when it was written


def _keys(scope: Scope, conversation: int | None = None) -> dict[str, object]:
    keys: dict[str, object] = {"b": scope.bot, "c": scope.chat_id, "t": scope.thread_id}
    return keys if conversation is None else {**keys, "conv": conversation}


class SummaryStore:
    """Summaries in the database; the latest per conversation cached in memory (off with replicas: cache=0)."""

    def __init__(self, db: Database, *, cache: int = 20_000) -> None:
        self.db = db
        self._size = cache
        self._cache: OrderedDict[tuple[Scope, int], Summary | None] = OrderedDict()

    async def get(self, scope: Scope, conversation: int) -> Summary | None:
        """The conversation's summary, or None when nothing has been summarised yet."""
        key = (scope, conversation)
        if key in self._cache:
            return self._cache[key]
        row = await self.db.run(lambda c: c.execute(_GET, _keys(scope, conversation)).first())
        found = Summary(row.text, int(row.covered), int(row.turns), row.updated_at) if row else None
        self._remember(key, found)
        return found

    async def unsummarised(self, scope: Scope, conversation: int, after: int, limit: int) -> list[Said]:
        """Answered messages of exchanges after `after` and before any question still waiting, oldest first (at
        most `limit`)."""
        params = {**_keys(scope, conversation), "after": after, "lim": limit}
        rows = await self.db.run(lambda c: c.execute(_AFTER, params).all())
        return [Said(r.id, int(r.key), r.role, r.text or ("[photo]" if r.attachments else ""), r.user_id,
                     r.first_name, r.created_at) for r in rows]

    async def save(self, scope: Scope, conversation: int, *, text: str, expected: int,
                   folded: Sequence[Said]) -> bool:
        """Store the new summary of everything up to the last of `folded`; False (nothing written) when the summary
        moved on from `expected` meanwhile, the conversation was reset, or a folded message was deleted (/forget)."""
        covered = folded[-1].key
        authors = {m.user_id for m in folded if m.user_id}

        def work(conn: Connection) -> Summary | None:
            current = conn.execute(_CURRENT, _keys(scope)).scalar()
            if (current or 1) != conversation:
                return None
            ids = [m.id for m in folded]
            if len(conn.execute(_FOLDED, {"ids": ids}).all()) != len(ids):
                return None
            where = (*_SCOPE, S.conversation == bindparam("conv"))
            row = conn.execute(select(S.covered, S.turns, S.authors, S.since).where(*where),
                               _keys(scope, conversation)).first()
            if (row.covered if row else 0) != expected:
                return None
            turns = (row.turns if row else 0) + len(folded)
            known = {int(a) for a in (row.authors if row else "").split(",") if a}
            now = utcnow()
            since = row.since if row else min((m.at for m in folded if m.at is not None), default=now)
            values = dict(text=text, covered=covered, turns=turns, updated_at=now, since=since,
                          authors="," + "".join(f"{a}," for a in sorted(known | authors)))
            if row is None:
                conn.execute(insert(S).values(bot=scope.bot, chat_id=scope.chat_id, thread_id=scope.thread_id,
                                              conversation=conversation, **values))
            elif not conn.execute(update(S).where(*where, S.covered == expected).values(**values),
                                  _keys(scope, conversation)).rowcount:
                return None  # another replica saved first
            return Summary(text, covered, turns, now)
        try:
            saved = await self.db.run(work)
        except IntegrityError:  # another replica inserted the first summary of this conversation first
            saved = None
        if saved is not None:
            self._remember((scope, conversation), saved)
        return saved is not None

    async def clear(self, scope: Scope) -> int:
        """Delete every summary of this chat or topic (/reset); how many there were."""
        for key in [k for k in self._cache if k[0] == scope]:
            del self._cache[key]
        stmt = delete(S).where(*_SCOPE)
        return int(await self.db.run(lambda c: c.execute(stmt, _keys(scope)).rowcount))

    async def prune(self, cutoff: datetime) -> int:
        """Delete summaries holding a message written before `cutoff` (history retention: its facts go with it; the
        conversation starts a fresh summary)."""
        self._cache.clear()
        stmt = delete(S).where(S.since < cutoff)
        return int(await self.db.run(lambda c: c.execute(stmt).rowcount))

    def drop(self, chat_ids: Collection[int]) -> None:
        """Forget cached summaries of these chats (their rows were deleted elsewhere, e.g. by /forget)."""
        ids = set(chat_ids)
        for key in [k for k in self._cache if k[0].chat_id in ids]:
            del self._cache[key]

    def _remember(self, key: tuple[Scope, int], value: Summary | None) -> None:
        if self._size <= 0:
            return
        self._cache[key] = value
        self._cache.move_to_end(key)
        while len(self._cache) > self._size:
            self._cache.popitem(last=False)
