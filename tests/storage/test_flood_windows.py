"""Flood windows in a real Redis: the limits, one notice per period and no counting of blocked messages, shared by
every client (replica) of one Redis; idle windows leave Redis."""
from __future__ import annotations

import asyncio

import pytest

from storage.flood_windows import FloodWindows
from storage.redis_link import connect, key

USER, OTHER, GROUP, GROUP2 = 1, 2, -100, -200


@pytest.fixture
async def replicas(redis_url):
    """Two replicas' windows factory: each call makes a pair on their own clients of the same Redis."""
    made: list[FloodWindows] = []

    def pair(user: int = 3, group: int = 5, window: float = 60.0) -> tuple[FloodWindows, FloodWindows]:
        a, b = (FloodWindows(connect(redis_url), user, group, window) for _ in range(2))
        made.extend((a, b))
        return a, b

    yield pair
    for w in made:
        await w.aclose()


async def allowed(w: FloodWindows, n: int, user: int = USER, chat: int = USER, group: bool = False) -> list[bool]:
    return [(await w.check(user, chat, group)).allowed for _ in range(n)]


async def test_two_replicas_share_one_users_limit(replicas):
    a, b = replicas(user=3)
    assert [(await w.check(USER, USER, False)).allowed for w in (a, b, a)] == [True, True, True]
    blocked = await b.check(USER, USER, False)
    assert not blocked.allowed and 0 < blocked.retry_after <= 60
    assert not (await a.check(USER, GROUP, True)).allowed  # the user's limit counts across chats
    assert (await b.check(OTHER, OTHER, False)).allowed  # another user is not affected


async def test_the_group_limit_is_shared_and_told_once(replicas):
    a, b = replicas(user=100, group=2)
    assert (await a.check(10, GROUP, True)).allowed
    assert (await b.check(11, GROUP, True)).allowed
    first, later = await a.check(12, GROUP, True), await b.check(13, GROUP, True)
    assert (first.allowed, first.notify) == (False, True)  # one notice in the group ...
    assert (later.allowed, later.notify) == (False, False)  # ... not one per member or per replica
    assert (await b.check(12, GROUP2, True)).allowed  # another group is not affected
    assert (await a.check(12, 12, False)).allowed  # nor the member's private chat


async def test_a_message_blocked_by_the_group_does_not_use_up_the_users_quota(replicas):
    a, b = replicas(user=2, group=1)
    assert (await a.check(USER, GROUP, True)).allowed
    assert not (await b.check(OTHER, GROUP, True)).allowed
    assert await allowed(a, 3, user=OTHER, chat=OTHER) == [True, True, False]


async def test_blocked_messages_are_not_counted_and_the_window_passes(replicas):
    a, b = replicas(user=2, window=1.0)
    assert await allowed(a, 2) == [True, True]
    verdicts = [await w.check(USER, USER, False) for w in (b, a, b, a)]
    assert [v.allowed for v in verdicts] == [False] * 4
    assert [v.notify for v in verdicts] == [True, False, False, False]  # told once, whichever replica answers
    await asyncio.sleep(1.1)  # the window passes: the blocked four did not count, so two fit again
    assert await allowed(b, 3) == [True, True, False]
    assert (await a.check(USER, USER, False)).notify is False  # the same new period: told already
    await asyncio.sleep(1.1)
    assert await allowed(a, 2) + await allowed(b, 1) == [True, True, False]
    assert (await a.check(USER, USER, False)).notify is False  # ... the block of this period was told by b


async def test_a_new_blocking_period_is_told_again(replicas):
    a, b = replicas(user=1, window=1.0)
    assert await allowed(a, 1) == [True]
    assert (await b.check(USER, USER, False)).notify
    await asyncio.sleep(1.1)
    assert await allowed(b, 1) == [True]
    assert (await a.check(USER, USER, False)).notify


async def test_zero_switches_a_limit_off(replicas):
    a, b = replicas(user=0, group=2)
    assert all(await allowed(a, 50))
    assert await allowed(b, 3, chat=GROUP, group=True) == [True, True, False]
    a, b = replicas(user=2, group=0)
    assert all([(await a.check(u, GROUP, True)).allowed for u in range(100, 150)])
    assert await allowed(b, 3, chat=GROUP2, group=True) == [True, True, False]


async def test_windows_expire_so_idle_users_leave_redis(replicas, redis_url):
    a, _ = replicas(user=1, group=5, window=30.0)
    await a.check(USER, GROUP, True)
    await a.check(USER, USER, False)  # blocked: the notice key lives until the window has room
    client = connect(redis_url)
    try:
        for name in (key("flood", "user", USER), key("flood", "group", GROUP), key("flood", "told", "user", USER)):
            assert 0 < await client.pttl(name) <= 30_000, name
        assert len(await client.keys(key("flood", "*"))) == 3
    finally:
        await client.aclose()
