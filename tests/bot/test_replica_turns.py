"""A chat's turn across two replicas (bot/turn/takeover.py): one order for every replica, Telegram's.

An album is stored when the desk flushes it (ALBUM_WAIT after its last item), and group voice chatter after its
transcript: both are stored *after* messages that arrived later. A local queue in arrival order beside a
cross-replica wait in Telegram's order would form a cycle; one order for all never does.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from agents.persona import load_personas
from bot.turn.conversation import Conversations
from bot.turn.takeover import ReplicaTurns
from storage.db import Database
from storage.leases import MessageLeases
from storage.models import utcnow
from storage.records import Answer, Inbound, Scope
from storage.store import Store

SCOPE = Scope("main", 42, 0)
ROOT = Path(__file__).resolve().parents[2]


class _Sink:
    async def start(self) -> None: ...
    async def close(self) -> None: ...




def replica(db: Database, name: str, answered: list[int], slow: dict[int, asyncio.Event], *,
            clock: Callable[[], datetime] | None = None) -> Conversations:
    store = Store(db, replica=name, cache_chats=0)
    conv = Conversations(store, None, load_personas(ROOT / "config" / "agents.yaml"))  # type: ignore[arg-type]
    conv.leases = MessageLeases(db, name, clock=clock or utcnow)
    conv.replicas = ReplicaTurns(conv.leases, 60.0)

    async def answer(inbound_id: int, inbound: Inbound, sink: object) -> None:
        assert inbound.tg_message_id is not None
        if (gate := slow.get(inbound.tg_message_id)) is not None:
            await gate.wait()  # a long answer
        answered.append(inbound.tg_message_id)
        await store.record_answer(inbound, inbound_id, Answer(text="ok", agent="daarwizz"))
    conv._answer = answer  # type: ignore[method-assign]
    return conv


def msg(n: int) -> Inbound:
    return Inbound(scope=SCOPE, user_id=7, text=f"m{n}", agent="daarwizz", conversation=1, tg_message_id=n)


async def test_an_album_stored_late_does_not_deadlock_the_chat_across_replicas(replica_dbs: list[Database]) -> None:
    answered: list[int] = []
    q_done = asyncio.Event()
    a = replica(replica_dbs[0], "r1", answered, {99: q_done})
    b = replica(replica_dbs[1], "r2", answered, {})
    # r1 answers Q (99) slowly. The user sends an album (100, 101: r1's desk holds it for ALBUM_WAIT), then M (102),
    # which reaches r2, and T (103), which reaches r1 and takes its place in r1's queue before the album's flush.
    q = asyncio.create_task(a.handle(msg(99), _Sink()))  # type: ignore[arg-type]
    await asyncio.sleep(0.2)
    m = asyncio.create_task(b.handle(msg(102), _Sink()))  # type: ignore[arg-type]
    t = asyncio.create_task(a.handle(msg(103), _Sink()))  # type: ignore[arg-type]
    await asyncio.sleep(0.2)
    album = asyncio.create_task(a.handle(msg(100), _Sink()))  # type: ignore[arg-type]  # the desk flushed
    await asyncio.sleep(0.2)
    q_done.set()
    done, pending = await asyncio.wait([q, m, t, album], timeout=10)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    assert not pending, f"chat deadlocked: answered {answered}, {len(pending)} message(s) wait forever"
    assert answered == [99, 100, 102, 103], "in Telegram's order"


async def test_a_database_error_while_waiting_for_the_turn_is_looked_at_again(replica_dbs: list[Database]) -> None:
    answered: list[int] = []
    a, b = replica(replica_dbs[0], "r1", answered, {}), replica(replica_dbs[1], "r2", answered, {})
    assert a.leases is not None
    real, calls = a.leases.waits_for_older, []

    async def blip(*args: object, **kw: object) -> bool:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("server closed the connection unexpectedly")  # one transient database error
        return await real(*args, **kw)  # type: ignore[arg-type]
    a.leases.waits_for_older = blip  # type: ignore[method-assign]
    await asyncio.wait_for(a.handle(msg(1), _Sink()), 10)  # type: ignore[arg-type]
    await asyncio.wait_for(b.handle(msg(2), _Sink()), 10)  # type: ignore[arg-type]
    assert answered == [1, 2], "neither left pending, nor waiting for a message nobody answers"


async def test_a_message_taken_over_while_its_holder_waited_is_answered_once(replica_dbs: list[Database]) -> None:
    from tests.storage.test_updates import Clock

    answered: list[int] = []
    clock = Clock()
    a = replica(replica_dbs[0], "r1", answered, {}, clock=clock)
    b = replica(replica_dbs[1], "r2", answered, {}, clock=clock)
    older = await Store(replica_dbs[0], replica="r3", cache_chats=0).record_inbound(msg(0))  # r3 holds 0, then dies
    assert older is not None
    first = asyncio.create_task(a.handle(msg(1), _Sink()))  # type: ignore[arg-type]  # r1 waits for 0
    await asyncio.sleep(0.3)
    clock.later(61)  # r3 is gone, and r1's renewals did not get through for a lease (its DB link flapped)
    assert b.leases is not None
    taken = await b.leases.take(["main"], 60)
    assert sorted(p.inbound.tg_message_id or 0 for p in taken.answer) == [0, 1]
    await asyncio.gather(*(b.answer(p.id, p.inbound, _Sink()) for p in taken.answer))  # type: ignore[arg-type]
    await asyncio.wait_for(first, 10)  # r1's turn comes: the message is r2's now, and r2 answered it
    assert answered == [0, 1], "each once, in order"


async def test_group_voice_chatter_heard_first_does_not_deadlock_the_group(replica_dbs: list[Database]) -> None:
    import json

    from storage.updates import UpdateInbox

    def update(update_id: int, message_id: int) -> str:
        return json.dumps({"update_id": update_id, "message": {"message_id": message_id, "chat": {"id": 42}}})
    answered: list[int] = []
    a = replica(replica_dbs[0], "r1", answered, {})
    b = replica(replica_dbs[1], "r2", answered, {})
    inbox_a, inbox_b = UpdateInbox(replica_dbs[0], owner="r1"), UpdateInbox(replica_dbs[1], owner="r2")
    # A voice note "Dagi, what's the weather?" (100) reaches r1, which transcribes it before it takes a place in the
    # queue; meanwhile M (102) reaches r2 and T (103) reaches r1.
    assert await inbox_a.claim("main", 500, update(500, 100))
    assert await inbox_b.claim("main", 502, update(502, 102))
    assert await inbox_a.claim("main", 503, update(503, 103))
    m = asyncio.create_task(b.handle(msg(102), _Sink()))  # type: ignore[arg-type]
    t = asyncio.create_task(a.handle(msg(103), _Sink()))  # type: ignore[arg-type]
    await asyncio.sleep(0.3)  # the transcript is ready: it is ours, it takes its place in r1's queue now
    v = asyncio.create_task(a.handle(msg(100), _Sink()))  # type: ignore[arg-type]
    done, pending = await asyncio.wait([m, t, v], timeout=10)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    assert not pending, f"group deadlocked: answered {answered}, {len(pending)} message(s) wait forever"
    assert sorted(answered) == [100, 102, 103]
