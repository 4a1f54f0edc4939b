"""Pending messages held under a lease, so a replica that dies leaves its messages to the others.

The replica that stores a message holds it (`owner`, REPLICA_ID) and renews `lease_at` while it lives; a
lease nobody renewed for PENDING_LEASE seconds is taken over by whichever replica sweeps first. A takeover is
one UPDATE whose WHERE re-checks the lease, so two replicas sweeping at once never both win a message (Postgres
re-evaluates the row after the first commits; SQLite serialises writers). A message that already wore out
`max_tries` holders (one that kills the process, say) is failed instead: the user is told, and no replica
loops on it.

Turn order across replicas comes from the same rows: a chat's message waits while an older message of the chat
(Telegram's message ids) is still pending anywhere (`waits_for_older`), including one a dead replica held, which
is taken over within a lease. Every replica waits by this one order, so no two messages wait for each other.
"""
from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, exists, func, or_, select, update

from storage.db import Database
from storage.models import Message, ProcessedUpdate, utcnow
from storage.records import Pending, Scope
from storage.store import pending_of

_PENDING = and_(Message.status == "pending", Message.role == "user")
# Seconds an earlier update another replica claimed holds a chat's next answer back: the time from a claim to its
# message stored is milliseconds (a group voice note heard first, an album collected: a few seconds); a command
# that runs long (a document embedded) must not stall the chat's answers on the other replicas for its whole run.
BARRIER = 5.0


@dataclass(frozen=True, slots=True)
class Taken:
    """Messages taken over (now this replica's to answer) and those given up (to fail, with a notice)."""

    answer: list[Pending] = field(default_factory=list)
    give_up: list[Pending] = field(default_factory=list)


class MessageLeases:
    """Renews this replica's pending messages and takes over those whose holder stopped renewing."""

    def __init__(self, db: Database, replica: str, *, max_tries: int = 3,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.db, self.replica, self.max_tries, self.now = db, replica, max_tries, clock

    async def renew(self, ids: Collection[int]) -> int:
        """These messages are being handled here: each starts a new lease; how many were still ours. Only those in
        hand: a row this process left pending (its handler failed) expires and is taken over, not kept forever."""
        if not ids:
            return 0
        stmt = (update(Message).where(_PENDING, Message.owner == self.replica, Message.id.in_(list(ids)))
                .values(lease_at=self.now()))
        return int(await self.db.run(lambda conn: conn.execute(stmt).rowcount))

    async def still_mine(self, message_id: int) -> bool:
        """True while the message is pending and held by this replica (not taken over while this one was slow)."""
        stmt = select(Message.owner).where(Message.id == message_id, _PENDING)
        return await self.db.run(lambda conn: conn.execute(stmt).scalar()) == self.replica

    async def take(self, bots: Collection[str], lease: float | None, *, own: bool = False) -> Taken:
        """Take these bots' pending messages whose lease expired (`lease` None: every pending one, for a process
        that is the only one; `own`: also those this REPLICA_ID held before a restart), oldest first."""
        if not bots:
            return Taken()
        now = self.now()
        which = [_PENDING, Message.bot.in_(list(bots))]
        if lease is not None:
            stale = or_(Message.lease_at.is_(None), Message.lease_at < now - timedelta(seconds=lease))
            which.append(or_(stale, Message.owner == self.replica) if own else stale)
        # Held by nobody else from here on; a holder that was only slow finds the message taken (see Store).
        grab = (update(Message).where(*which)
                .values(owner=self.replica, lease_at=now, tries=Message.tries + (0 if lease is None else 1))
                .returning(Message.id))

        def work(conn: Connection) -> list[Pending]:
            ids = list(conn.execute(grab).scalars())
            if not ids:
                return []
            return [pending_of(r) for r in conn.execute(select(Message).where(Message.id.in_(ids))
                                                        .order_by(Message.id)).all()]
        taken = await self.db.run(work)
        over = [p for p in taken if p.tries > self.max_tries]
        return Taken([p for p in taken if p.tries <= self.max_tries], over)

    async def waits_for_older(self, scope: Scope, inbound_id: int, lease: float, *,
                              tg_message_id: int | None = None) -> bool:
        """True while an older message of this chat (Telegram's order) is still pending, whichever replica holds it
        (a dead one's is taken over within a lease), or while another replica claimed an earlier update of the chat
        in the last BARRIER seconds and may not have stored its message yet. Messages nobody renewed for three
        leases (no replica serves their bot) are not waited for."""
        now = self.now()
        # Telegram's message ids give the chat's order; the replica that received a message first may store it last.
        before = Message.id < inbound_id if tg_message_id is None else Message.tg_message_id < tg_message_id
        older = select(Message.id).where(
            _PENDING, Message.bot == scope.bot, Message.chat_id == scope.chat_id,
            Message.thread_id == scope.thread_id, before, Message.lease_at >= now - timedelta(seconds=3 * lease))
        query = select(exists(older))
        if tg_message_id is not None:
            chat = (ProcessedUpdate.bot == scope.bot, ProcessedUpdate.chat_id == scope.chat_id)
            mine = select(func.min(ProcessedUpdate.update_id)).where(*chat, ProcessedUpdate.message_id == tg_message_id)
            earlier = select(ProcessedUpdate.update_id).where(
                *chat, ProcessedUpdate.done.is_(False), ProcessedUpdate.owner != self.replica,
                ProcessedUpdate.claimed_at >= now - timedelta(seconds=BARRIER),
                ProcessedUpdate.update_id < mine.scalar_subquery())
            query = select(or_(exists(older), exists(earlier)))
        return bool(await self.db.run(lambda conn: conn.execute(query).scalar()))
