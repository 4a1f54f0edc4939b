"""Pending messages held under a lease, so a replica that dies leaves its messages to the others.

The replica that stores a message holds it (`owner`, REPLICA_ID) and renews `lease_at` while it lives; a
lease nobody renewed for PENDING_LEASE seconds is taken over by whichever replica sweeps first. A takeover is
one UPDATE whose WHERE re-checks the lease, so two replicas sweeping at once never both win a message (Postgres
re-evaluates the row after the first commits; SQLite serialises writers). A message that already wore out
`max_tries` holders (one that kills the process, say) is failed instead: the user is told, and no replica
loops on it.

Turn order across replicas comes from the same rows: a chat's message waits while an older message of the chat
is still pending elsewhere (`waits_for_older`), including one a dead replica held: it is taken over within a
lease and answered outside the taker's queue (bot/turn/takeover.py), so waiting for it never deadlocks.
"""
from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, exists, func, or_, select, true, update

from storage.db import Database
from storage.models import Message, ProcessedUpdate, utcnow
from storage.records import Pending, Scope
from storage.store import pending_of

_PENDING = and_(Message.status == "pending", Message.role == "user")


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

    async def renew(self) -> int:
        """This replica is alive: its pending messages start a new lease; how many."""
        stmt = update(Message).where(_PENDING, Message.owner == self.replica).values(lease_at=self.now())
        return int(await self.db.run(lambda conn: conn.execute(stmt).rowcount))

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
                .values(owner=self.replica, lease_at=now, tries=Message.tries + 1)
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

    async def waits_for_older(self, scope: Scope, inbound_id: int, lease: float, *, any_owner: bool = False,
                              tg_message_id: int | None = None) -> bool:
        """True while an older message of this chat must be answered first: one another replica holds (or held:
        it is taken over within a lease), one taken over (`tries` > 1: answered outside the taker's queue), or
        with `any_owner` any older one; also while another replica's webhook claim on an earlier update of the
        chat is open (its message may not be stored yet). Messages nobody renewed for three leases (no replica
        serves their bot) are not waited for."""
        cutoff = self.now() - timedelta(seconds=3 * lease)
        whose = true() if any_owner else or_(Message.owner != self.replica, Message.tries > 1)
        # Telegram's message ids give the chat's order; the replica that received a message first may store it last.
        before = Message.id < inbound_id if tg_message_id is None else Message.tg_message_id < tg_message_id
        older = select(Message.id).where(
            _PENDING, Message.bot == scope.bot, Message.chat_id == scope.chat_id,
            Message.thread_id == scope.thread_id, before, Message.lease_at >= cutoff, whose)
        query = select(exists(older))
        if tg_message_id is not None:
            chat = (ProcessedUpdate.bot == scope.bot, ProcessedUpdate.chat_id == scope.chat_id)
            mine = select(func.min(ProcessedUpdate.update_id)).where(*chat, ProcessedUpdate.message_id == tg_message_id)
            earlier = select(ProcessedUpdate.update_id).where(
                *chat, ProcessedUpdate.done.is_(False), ProcessedUpdate.owner != self.replica,
                ProcessedUpdate.at >= cutoff, ProcessedUpdate.update_id < mine.scalar_subquery())
            query = select(or_(exists(older), exists(earlier)))
        return bool(await self.db.run(lambda conn: conn.execute(query).scalar()))
