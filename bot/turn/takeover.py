"""Replicas behind one webhook: a chat's turn across processes, and messages a dead replica held answered.

Every replica stores the messages it receives as pending, held under a lease (storage/leases.py) that it renews
while it handles them. `tend` keeps those leases fresh and takes over the messages of a replica that stopped
renewing (killed, its host lost, or a handler that failed and left its row) once PENDING_LEASE passed: each is
answered exactly once, by whichever replica takes it. `ReplicaTurns.wait` holds a message back while an older
message of its chat is pending anywhere, so a chat's answers come in Telegram's order whichever replica each
message reached; a finished answer wakes the chat's waiters here at once, those on other replicas at their next
look (10 ms at first, then up to 200 ms apart).
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from storage.leases import MessageLeases
from storage.records import Inbound, Scope

if TYPE_CHECKING:
    from bot.turn.conversation import Conversations
    from bot.turn.sink import SinkFactory

log = logging.getLogger(__name__)
FIRST_WAIT, MAX_WAIT = 0.01, 0.2  # seconds between looks at the older message: short at first, an answer is quick
QUIET = 60.0  # seconds between warnings while the database does not answer


class ReplicaTurns:
    """The turn order of each chat read from the stored rows, and the messages this process has in hand."""

    def __init__(self, leases: MessageLeases, lease: float) -> None:
        self.leases, self.lease = leases, lease
        self.holding: set[int] = set()  # messages handled here now: only their leases are renewed
        self._woken: dict[Scope, asyncio.Event] = {}
        self._warned = -QUIET

    async def wait(self, inbound_id: int, inbound: Inbound) -> bool:
        """Return once no older message of the chat is left to answer first: True when the message is still this
        replica's to answer (False: another replica took it over while this one was too slow to renew)."""
        self.holding.add(inbound_id)
        pause = FIRST_WAIT
        while True:
            try:
                if not await self.leases.waits_for_older(inbound.scope, inbound_id, self.lease,
                                                         tg_message_id=inbound.tg_message_id):
                    return await self.leases.still_mine(inbound_id)
            except Exception as exc:  # noqa: BLE001 - the message stays in hand; the next look may succeed
                self._warn(exc)
            event = self._woken.setdefault(inbound.scope, asyncio.Event())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), pause)
            pause = min(pause * 2, MAX_WAIT)

    def done(self, inbound_id: int, scope: Scope) -> None:
        """The message was answered (or given up): the chat's next one here may go at once."""
        self.holding.discard(inbound_id)
        if (event := self._woken.pop(scope, None)) is not None:
            event.set()

    def _warn(self, exc: Exception) -> None:
        if (now := time.monotonic()) - self._warned >= QUIET:
            self._warned = now
            log.warning("could not read a chat's turn from the database (%r); looking again", exc)


async def tend(conversations: Conversations, sinks: SinkFactory, bots: list[str], lease: float) -> None:
    """Until cancelled: renew the leases of the messages in hand every lease/3 s, and answer what others left."""
    turns, leases = conversations.replicas, conversations.leases
    if turns is None or leases is None:
        return
    answers: set[asyncio.Task[None]] = set()
    try:
        while True:
            try:
                await leases.renew(set(turns.holding))
                taken = await leases.take(bots, lease)
            except Exception:
                log.exception("could not renew or take over pending messages")
            else:
                if taken.answer:
                    log.warning("taking over %d message(s) a replica left unanswered", len(taken.answer))
                for p in taken.answer:
                    _spawn(answers, conversations.answer(p.id, p.inbound, sinks(p.inbound)))
                for p in taken.give_up:
                    _spawn(answers, conversations.give_up(p, sinks(p.inbound)))
            await asyncio.sleep(lease / 3)
    finally:
        for task in answers:
            task.cancel()
        await asyncio.gather(*answers, return_exceptions=True)


def _spawn(tasks: set[asyncio.Task[None]], work: Coroutine[Any, Any, None]) -> None:
    task = asyncio.create_task(work)
    tasks.add(task)
    task.add_done_callback(tasks.discard)
