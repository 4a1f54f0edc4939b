"""Replicas behind one webhook: a chat's turn across processes, and messages a dead replica held answered.

Every replica stores the messages it receives as pending, held under a lease it renews (storage/leases.py).
`tend` keeps this replica's leases fresh and takes over the messages of a replica that stopped renewing
(killed, its host lost) once PENDING_LEASE passed: each is answered exactly once, by whichever replica
takes it, outside that replica's queue. `in_turn` waits while an older message of the chat is pending elsewhere,
so a chat's answers come in the order its messages were stored, whichever replica each one reached.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from storage.leases import MessageLeases
from storage.records import Scope

if TYPE_CHECKING:
    from bot.turn.conversation import Conversations
    from bot.turn.sink import SinkFactory

log = logging.getLogger(__name__)
FIRST_WAIT, MAX_WAIT = 0.01, 0.2  # seconds between looks at the older message: short at first, an answer is quick


async def in_turn(leases: MessageLeases, scope: Scope, inbound_id: int, lease: float, *, any_owner: bool = False,
                  tg_message_id: int | None = None) -> None:
    """Return once no older message of the chat is left to answer first (see MessageLeases.waits_for_older)."""
    wait = FIRST_WAIT
    while await leases.waits_for_older(scope, inbound_id, lease, any_owner=any_owner, tg_message_id=tg_message_id):
        await asyncio.sleep(wait)
        wait = min(wait * 2, MAX_WAIT)


async def tend(conversations: Conversations, sinks: SinkFactory, bots: list[str], lease: float) -> None:
    """Until cancelled: renew this replica's leases every lease/3 s, and answer what dead replicas left."""
    leases = conversations.leases
    if leases is None:
        return
    answers: set[asyncio.Task[None]] = set()
    try:
        while True:
            try:
                await leases.renew()
                taken = await leases.take(bots, lease)
            except Exception:
                log.exception("could not renew or take over pending messages")
            else:
                if taken.answer:
                    log.warning("taking over %d message(s) a replica left unanswered", len(taken.answer))
                for p in taken.answer:
                    _spawn(answers, conversations.answer(p.id, p.inbound, sinks(p.inbound), taken=True))
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
