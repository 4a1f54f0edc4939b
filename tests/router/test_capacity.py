"""Capacity on its own (no HTTP): slots per provider, the least busy pool member, bounded waits, mode shares,
waiting lines and reloads."""
from __future__ import annotations

import asyncio

import pytest

from router.capacity import Capacity, SlotPolicy
from router.types import Target

A, B, CLOUD = Target("a", "m"), Target("b", "m"), Target("cloud", "m")


def capacity(**policies: SlotPolicy) -> Capacity:
    return Capacity(policies)


async def until(check, timeout: float = 5.0) -> None:
    """Wait (polling) until `check()` holds; fail after `timeout` s."""
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.005)


def test_a_provider_takes_as_many_requests_as_it_has_slots_and_no_more() -> None:
    cap = capacity(a=SlotPolicy(2))
    first, second = cap.take([A], "chat"), cap.take([A], "chat")
    assert first is not None and second is not None
    assert cap.take([A], "chat") is None
    assert cap.in_flight["a"] == 2 and cap.load("a") == 1.0
    cap.release(first)
    assert cap.take([A], "chat") is not None, "a released slot is free again"


def test_a_provider_without_a_policy_is_never_full() -> None:
    cap = capacity(a=SlotPolicy(1))
    assert all(cap.take([CLOUD], "chat") is not None for _ in range(50))
    assert not cap.limits("cloud") and cap.load("cloud") == 0.0


def test_the_least_busy_pool_member_serves_ties_going_to_the_first_listed() -> None:
    cap = capacity(a=SlotPolicy(2), b=SlotPolicy(4))
    taken = [cap.take([A, B], "chat") for _ in range(6)]
    assert [s.target.provider for s in taken if s] == ["a", "b", "b", "a", "b", "b"]
    assert cap.take([A, B], "chat") is None
    assert (cap.in_flight["a"], cap.in_flight["b"]) == (2, 4)


def test_a_mode_holds_only_its_share_and_other_modes_keep_the_rest() -> None:
    cap = capacity(a=SlotPolicy(2, shares={"vision": 0.5}))
    assert cap.take([A], "vision") is not None
    assert cap.take([A], "vision") is None, "vision's share of two slots is one"
    assert cap.take([A], "chat") is not None, "a chat request still gets the other slot"
    assert SlotPolicy(2, shares={"vision": 0.1}).limit("vision") == 1, "a share never rounds down to nothing"
    assert SlotPolicy(4, shares={"vision": 0.5}).limit("vision") == 2 and SlotPolicy(4).limit("chat") == 4


async def test_a_waiter_gets_the_slot_that_frees_and_knows_how_long_it_waited() -> None:
    cap = capacity(a=SlotPolicy(1))
    held = cap.take([A], "chat")
    assert held is not None
    waiter = asyncio.create_task(cap.wait([A], "chat", 30))
    await until(lambda: cap.waiting["a"] == 1)
    cap.release(held)
    slot = await waiter
    assert slot is not None and slot.target == A and slot.waited > 0
    assert cap.in_flight["a"] == 1 and cap.waiting["a"] == 0


async def test_a_wait_gives_up_after_its_timeout_and_leaves_the_line() -> None:
    cap = capacity(a=SlotPolicy(1))
    assert cap.take([A], "chat") is not None
    assert await cap.wait([A], "chat", 0.05) is None
    assert cap.waiting["a"] == 0 and cap.in_flight["a"] == 1


async def test_a_full_waiting_line_is_reported_so_the_request_overflows_at_once() -> None:
    cap = capacity(a=SlotPolicy(1, max_queue=1), b=SlotPolicy(1))
    assert cap.take([A], "chat") is not None
    assert not cap.queue_full([A])
    waiter = asyncio.create_task(cap.wait([A], "chat", 30))
    await until(lambda: cap.waiting["a"] == 1)
    assert cap.queue_full([A])
    assert not cap.queue_full([A, B]), "a pool's line is full only when every member's is"
    assert not cap.queue_full([B]), "no max_queue: any number may wait"
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert cap.waiting["a"] == 0, "a cancelled waiter leaves the line"


async def test_a_reload_keeps_the_calls_in_flight_and_applies_the_new_slots() -> None:
    cap = capacity(a=SlotPolicy(2))
    held = [cap.take([A], "chat") for _ in range(2)]
    waiter = asyncio.create_task(cap.wait([A], "chat", 30))
    await until(lambda: cap.waiting["a"] == 1)
    cap.adopt({"a": SlotPolicy(3)})
    slot = await waiter  # the new third slot goes to the one waiting
    assert slot is not None and cap.in_flight["a"] == 3
    assert cap.take([A], "chat") is None
    for s in (*held, slot):
        assert s is not None
        cap.release(s)
    assert cap.in_flight["a"] == 0
