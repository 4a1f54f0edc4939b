"""Album items in a real Redis, pushed by two replicas (two clients): one collector gathers every item exactly once,
after the album went quiet; a late item starts a new album; a dead collector's album is gathered by the next one."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from storage.album_items import AlbumItems
from storage.redis_link import connect, key

ALBUM = ("main", 1001, "alb1")


@pytest.fixture
async def replicas(redis_url: str) -> AsyncIterator[Callable[..., tuple[AlbumItems, AlbumItems]]]:
    """A factory of two replicas' album items on their own clients of the same Redis."""
    made: list[AlbumItems] = []

    def pair(wait: float = 0.2, **kw: float) -> tuple[AlbumItems, AlbumItems]:
        a, b = (AlbumItems(connect(redis_url), wait, **kw) for _ in range(2))
        made.extend((a, b))
        return a, b

    yield pair
    for items in made:
        await items.client.aclose()


async def test_one_replica_collects_what_both_pushed(replicas) -> None:
    a, b = replicas()
    token = await a.push(ALBUM, "p1")
    assert token is not None
    assert await b.push(ALBUM, "p2") is None and await a.push(ALBUM, "p3") is None  # one collector per album
    assert await a.gather(ALBUM, token) == ["p1", "p2", "p3"]
    assert await a.client.keys(key("album", "*")) == []  # nothing of the album is left in Redis
    assert await b.push(("main", 1001, "alb2"), "q1") is not None  # another album: its own collector


async def test_the_wait_restarts_while_items_keep_coming(replicas) -> None:
    a, b = replicas(wait=0.3)
    token = await a.push(ALBUM, "p0")
    assert token is not None
    gathering = asyncio.create_task(a.gather(ALBUM, token))

    async def trickle() -> None:
        for n in range(1, 6):  # 1 s in all, each item well within the wait of the one before
            await asyncio.sleep(0.2)
            assert await (b if n % 2 else a).push(ALBUM, f"p{n}") is None
    await trickle()
    assert await gathering == [f"p{n}" for n in range(6)]


async def test_an_item_after_the_gather_starts_a_new_album(replicas) -> None:
    a, b = replicas()
    token = await a.push(ALBUM, "p1")
    assert token is not None
    assert await a.gather(ALBUM, token) == ["p1"]
    late = await b.push(ALBUM, "p2")
    assert late is not None, "a late item is not dropped: its replica collects it"
    assert await b.gather(ALBUM, late) == ["p2"]


async def test_a_dead_collectors_album_is_gathered_by_the_next_one(replicas) -> None:
    a, b = replicas(wait=0.1, slack=0.2)
    assert await a.push(ALBUM, "p1") is not None  # a dies here without gathering
    assert await b.push(ALBUM, "p2") is None
    await asyncio.sleep(0.5)  # its lease runs out
    token = await b.push(ALBUM, "p1")  # the takeover of a's update pushes its item again
    assert token is not None
    assert await b.gather(ALBUM, token) == ["p1", "p2", "p1"]


async def test_a_collector_that_lost_the_album_gathers_nothing(replicas) -> None:
    a, b = replicas(wait=0.1, slack=0.1)
    stale = await a.push(ALBUM, "p1")
    assert stale is not None
    await asyncio.sleep(0.4)  # a stalls past its lease; b's item makes b the collector
    token = await b.push(ALBUM, "p2")
    assert token is not None
    assert await a.gather(ALBUM, stale) == []
    assert await b.gather(ALBUM, token) == ["p1", "p2"]


async def test_an_uncollected_album_leaves_redis(replicas) -> None:
    a, _ = replicas(keep=60.0)
    await a.push(ALBUM, "p1")
    assert 0 < await a.client.ttl(key("album", *ALBUM)) <= 60
    for name in await a.client.keys(key("album", "*")):  # the collector's lease and the quiet mark expire too
        assert await a.client.pttl(name) != -1, name
