"""Pending messages under a lease: renewed by their replica, taken over once when it dies, in a chat's order."""
from __future__ import annotations

import asyncio
import json

from storage.db import Database
from storage.leases import MessageLeases
from storage.records import Inbound, Scope
from storage.store import Store
from storage.updates import UpdateInbox
from tests.storage.test_updates import Clock

SCOPE = Scope("main", 42, 0)




def inbound(n: int, scope: Scope = SCOPE) -> Inbound:
    return Inbound(scope=scope, user_id=7, text=f"m{n}", agent="daarwizz", conversation=1, tg_message_id=n)


async def stored(db: Database, replica: str, n: int, scope: Scope = SCOPE) -> int:
    message_id = await Store(db, replica=replica, cache_chats=0).record_inbound(inbound(n, scope))
    assert message_id is not None
    return message_id


async def test_a_dead_replicas_messages_are_taken_over_once_after_the_lease(replica_dbs: list[Database]) -> None:
    clock = Clock()
    dead, a, b = (MessageLeases(db, name, clock=clock)
                  for db, name in zip([replica_dbs[0], *replica_dbs], ["r0", "r1", "r2"], strict=True))
    ids = [await stored(replica_dbs[0], "r0", n) for n in (1, 2)]
    r1 = await stored(replica_dbs[1], "r1", 3)
    assert (await a.take(["main"], 60)).answer == [], "nobody's lease expired yet"
    clock.later(61)
    assert await a.renew([r1]) == 1  # r1 is alive and handles its message; r0 stopped renewing
    first, second = await asyncio.gather(a.take(["main"], 60), b.take(["main"], 60))
    won = sorted(p.id for p in first.answer + second.answer)
    assert won == ids, "each of the dead replica's messages goes to exactly one survivor, r1's own stays its own"
    assert {p.tries for p in first.answer + second.answer} == {2}
    assert (await dead.take(["main"], 60)).answer == [], "taken messages are held by their taker now"


async def test_a_restarted_replica_takes_its_own_messages_at_once_and_no_one_elses(replica_dbs: list[Database]) -> None:
    mine = await stored(replica_dbs[0], "r1", 1)
    await stored(replica_dbs[1], "r2", 2)
    taken = await MessageLeases(replica_dbs[0], "r1").take(["main"], 60, own=True)
    assert [p.id for p in taken.answer] == [mine]


async def test_a_message_that_wore_out_its_holders_is_given_up(replica_dbs: list[Database]) -> None:
    clock = Clock()
    await stored(replica_dbs[0], "r0", 1)
    for holder in ("r1", "r2"):
        clock.later(61)
        assert len((await MessageLeases(replica_dbs[0], holder, clock=clock).take(["main"], 60)).answer) == 1
    clock.later(61)
    taken = await MessageLeases(replica_dbs[1], "r3", max_tries=3, clock=clock).take(["main"], 60)
    assert taken.answer == [] and [p.inbound.text for p in taken.give_up] == ["m1"]


async def test_a_chat_waits_for_an_older_message_another_replica_holds(replica_dbs: list[Database]) -> None:
    clock = Clock()
    here = MessageLeases(replica_dbs[1], "r2", clock=clock)
    await stored(replica_dbs[0], "r1", 1)
    newer = await stored(replica_dbs[1], "r2", 2)
    assert await here.waits_for_older(SCOPE, newer, 60, tg_message_id=2)
    assert not await here.waits_for_older(Scope("main", 43, 0), newer, 60, tg_message_id=2), "another chat"
    own = await stored(replica_dbs[1], "r2", 3, Scope("main", 44, 0))
    await stored(replica_dbs[1], "r2", 4, Scope("main", 44, 0))
    assert await here.waits_for_older(Scope("main", 44, 0), own + 1, 60, tg_message_id=4), \
        "its own older messages too: one order for every replica"
    clock.later(3 * 60 + 1)
    assert not await here.waits_for_older(SCOPE, newer, 60, tg_message_id=2), "nobody renews it: not waited for"


async def test_telegrams_order_counts_not_the_order_replicas_stored_them(replica_dbs: list[Database]) -> None:
    here = MessageLeases(replica_dbs[1], "r2")
    second = await stored(replica_dbs[1], "r2", 2)
    await stored(replica_dbs[0], "r1", 1)  # Telegram's first message, stored later by a slower replica
    assert await here.waits_for_older(SCOPE, second, 60, tg_message_id=2)


async def test_a_chat_waits_for_an_earlier_update_another_replica_has_not_stored_yet(
        replica_dbs: list[Database]) -> None:
    def update(update_id: int, message_id: int) -> str:
        return json.dumps({"update_id": update_id, "message": {"message_id": message_id, "chat": {"id": 42}}})
    other, mine = UpdateInbox(replica_dbs[0], owner="r1"), UpdateInbox(replica_dbs[1], owner="r2")
    assert await other.claim("main", 100, update(100, 1))  # taken by r1, its message not stored yet
    assert await mine.claim("main", 101, update(101, 2))
    newer = await stored(replica_dbs[1], "r2", 2)
    here = MessageLeases(replica_dbs[1], "r2")
    assert await here.waits_for_older(SCOPE, newer, 60, tg_message_id=2)
    await other.finish("main", 100)
    assert not await here.waits_for_older(SCOPE, newer, 60, tg_message_id=2)


async def test_a_row_its_replica_left_pending_while_alive_expires_and_is_taken_over(
        replica_dbs: list[Database]) -> None:
    clock = Clock()
    alive = MessageLeases(replica_dbs[0], "r1", clock=clock)
    left = await stored(replica_dbs[0], "r1", 1)  # its handler failed: nothing has it in hand any more
    handled = await stored(replica_dbs[0], "r1", 2, Scope("main", 43, 0))
    clock.later(61)
    assert await alive.renew([handled]) == 1
    taken = await MessageLeases(replica_dbs[1], "r2", clock=clock).take(["main"], 60)
    assert [p.id for p in taken.answer] == [left]
    assert not await alive.still_mine(left) and await alive.still_mine(handled)


async def test_the_only_process_restarting_does_not_count_as_a_takeover(replica_dbs: list[Database]) -> None:
    await stored(replica_dbs[0], "console", 1)
    for _ in range(5):  # five restarts of a polling bot: the message is still answered, never given up
        taken = await MessageLeases(replica_dbs[0], "console").take(["main"], None, own=True)
        assert [p.tries for p in taken.answer] == [1] and not taken.give_up


async def test_a_claim_holds_the_chat_back_only_briefly(replica_dbs: list[Database]) -> None:
    def update(update_id: int, message_id: int) -> str:
        return json.dumps({"update_id": update_id, "message": {"message_id": message_id, "chat": {"id": 42}}})
    clock = Clock()
    other = UpdateInbox(replica_dbs[0], owner="r1", clock=clock)
    mine = UpdateInbox(replica_dbs[1], owner="r2", clock=clock)
    assert await other.claim("main", 100, update(100, 1))  # a long command on r1: /kb add embedding a document
    assert await mine.claim("main", 101, update(101, 2))
    newer = await stored(replica_dbs[1], "r2", 2)
    here = MessageLeases(replica_dbs[1], "r2", clock=clock)
    assert await here.waits_for_older(SCOPE, newer, 60, tg_message_id=2)
    clock.later(6)
    await other.renew([("main", 100)])  # r1 is alive and still at it
    assert not await here.waits_for_older(SCOPE, newer, 60, tg_message_id=2), "stored by now if it ever will be"
