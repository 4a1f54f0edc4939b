"""The webhook's update guard: one claim per (bot, update_id), the body kept until done, dead holders taken over."""
from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta

from storage.db import Database
from storage.models import utcnow
from storage.updates import Fronted, UpdateInbox


class Clock:
    """The inboxes' time, moved by the test instead of waited for."""

    def __init__(self) -> None:
        self.at = utcnow()

    def __call__(self) -> datetime:
        return self.at

    def later(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)




def body(update_id: int) -> str:
    return json.dumps({"update_id": update_id, "message": {"text": f"m{update_id}"}})


async def test_an_update_is_claimed_once_per_bot(replica_dbs: list[Database]) -> None:
    inbox = UpdateInbox(replica_dbs[0])
    assert await inbox.claim("main", 10, body(10))
    assert not await inbox.claim("main", 10, body(10))  # Telegram's retry, or the other replica's copy
    assert await inbox.claim("helion", 10, body(10))  # update ids are per bot token


async def test_two_replicas_claiming_the_same_updates_at_once_get_each_exactly_once(
        replica_dbs: list[Database]) -> None:
    a, b = UpdateInbox(replica_dbs[0]), UpdateInbox(replica_dbs[1])
    ids = range(1, 31)
    won = await asyncio.gather(*(inbox.claim("main", i, body(i)) for i in ids for inbox in (a, b, a)))
    per_update = [sum(won[k * 3:(k + 1) * 3]) for k in range(len(ids))]
    assert per_update == [1] * len(ids)


async def test_a_claim_whose_holder_died_is_taken_over_once_with_its_body(replica_dbs: list[Database]) -> None:
    clock = Clock()
    dead, a, b = (UpdateInbox(db, clock=clock) for db in (replica_dbs[0], replica_dbs[0], replica_dbs[1]))
    await dead.claim("main", 7, body(7))
    assert await a.stale(["main"], lease=60) == []  # its holder may still be working on it
    clock.later(61)
    taken = await asyncio.gather(a.stale(["main"], lease=60), b.stale(["main"], lease=60))
    held = [h for found in taken for h in found]
    assert len(held) == 1 and held[0].update_id == 7 and json.loads(held[0].body)["message"]["text"] == "m7"
    assert held[0].tries == 2
    assert await a.stale(["helion"], lease=60) == []  # a sweep takes only the bots it serves
    assert not await b.claim("main", 7, body(7))  # a late second delivery is still a duplicate


async def test_a_renewed_or_finished_claim_is_never_taken_over(replica_dbs: list[Database]) -> None:
    clock = Clock()
    inbox = UpdateInbox(replica_dbs[0], clock=clock)
    await inbox.claim("main", 1, body(1))
    await inbox.claim("main", 2, body(2))
    clock.later(40)
    await inbox.renew([("main", 1)])  # still being answered here
    await inbox.finish("main", 2)
    clock.later(40)
    assert await inbox.stale(["main"], lease=60) == []
    clock.later(3600)
    assert [h.update_id for h in await inbox.stale(["main"], lease=60)] == [1]  # renewals stopped: taken over


async def test_an_update_no_holder_finishes_is_given_up_after_the_last_try(replica_dbs: list[Database]) -> None:
    clock = Clock()
    inbox = UpdateInbox(replica_dbs[0], clock=clock, max_tries=3)
    await inbox.claim("main", 5, body(5))
    tries = []
    for _ in range(4):
        clock.later(61)
        tries += [h.tries for h in await inbox.stale(["main"], lease=60)]
    assert tries == [2, 3]  # then given up: an update that kills every holder does not loop for ever


async def test_old_claims_are_pruned_and_recent_ones_kept(replica_dbs: list[Database]) -> None:
    clock = Clock()
    inbox = UpdateInbox(replica_dbs[0], clock=clock)
    await inbox.claim("main", 1, body(1))
    await inbox.finish("main", 1)
    clock.later(2 * 86400)
    await inbox.claim("main", 2, body(2))
    assert await inbox.prune(clock() - timedelta(days=1)) == 1
    assert not await inbox.claim("main", 2, body(2))  # the recent guard stays
    assert await inbox.claim("main", 1, body(1))  # the pruned one is forgotten


class Seen:
    """A fast cache standing in for Redis."""

    def __init__(self) -> None:
        self.keys: set[tuple[str, int]] = set()
        self.asked = 0

    async def seen(self, bot: str, update_id: int) -> bool:
        self.asked += 1
        return (bot, update_id) in self.keys

    async def remember(self, bot: str, update_id: int) -> None:
        self.keys.add((bot, update_id))


class CountingGuard:
    def __init__(self, inner: UpdateInbox) -> None:
        self.inner, self.claims = inner, 0

    async def claim(self, bot: str, update_id: int, body: str) -> bool:
        self.claims += 1
        return await self.inner.claim(bot, update_id, body)

    async def finish(self, bot: str, update_id: int) -> None:
        await self.inner.finish(bot, update_id)


async def test_a_fast_cache_in_front_answers_repeats_without_the_database(replica_dbs: list[Database]) -> None:
    durable = CountingGuard(UpdateInbox(replica_dbs[0]))
    cache = Seen()
    guard = Fronted(cache, durable)
    assert await guard.claim("main", 3, body(3))
    assert not await guard.claim("main", 3, body(3))
    assert durable.claims == 1
    # A replica without the cache's word (its entry expired, another Redis) still meets the database's guard.
    assert not await Fronted(Seen(), durable).claim("main", 3, body(3))
