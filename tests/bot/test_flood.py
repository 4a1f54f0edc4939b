"""FloodControl on a fake clock: sliding window, per user vs per group, notice once, off at 0, bounded memory;
with REDIS_URL, replicas on one Redis share the limits and the notice, and a Redis that is down blocks nothing."""
from __future__ import annotations

import asyncio
import itertools
import logging
from dataclasses import dataclass, field

import pytest

from base import ConfigError
from bot.settings import load_settings
from bot.turn.flood import FloodControl, Verdict
from i18n import translator
from tests.services import free_port

USER, OTHER, GROUP, GROUP2 = 1, 2, -100, -200


class Clock:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def flood(user: int = 3, group: int = 5, window: float = 60.0) -> tuple[FloodControl, Clock]:
    clock = Clock()
    return FloodControl(user, group, window, clock=clock), clock


def burst(fc: FloodControl, n: int, user: int = USER, chat: int = USER, group: bool = False) -> list[Verdict]:
    return [fc.check(user, chat, group) for _ in range(n)]


def test_the_limit_blocks_the_extra_messages_and_says_how_long():
    fc, clock = flood(user=3)
    for _ in range(3):
        assert fc.check(USER, USER, False).allowed
        clock.now += 10
    blocked = fc.check(USER, USER, False)
    assert not blocked.allowed
    assert blocked.retry_after == pytest.approx(30.0)  # the first message (t=0) leaves the window at t=60


def test_the_window_slides_one_message_at_a_time():
    fc, clock = flood(user=3)
    for _ in range(3):
        fc.check(USER, USER, False)
        clock.now += 10  # messages at t=0, 10, 20
    clock.now = 1000.0 + 59.9
    assert not fc.check(USER, USER, False).allowed
    clock.now = 1000.0 + 60.0  # the t=0 message left: exactly one place is free
    assert fc.check(USER, USER, False).allowed
    verdict = fc.check(USER, USER, False)
    assert not verdict.allowed and verdict.retry_after == pytest.approx(10.0)  # t=10 leaves at t=70


def test_blocked_messages_are_not_counted():
    fc, clock = flood(user=2)
    burst(fc, 2)
    assert not any(v.allowed for v in burst(fc, 50))
    clock.now += 60
    assert [v.allowed for v in burst(fc, 3)] == [True, True, False]


def test_notice_only_on_the_first_blocked_message_of_a_period():
    fc, clock = flood(user=2)
    verdicts = burst(fc, 6)
    assert [v.allowed for v in verdicts] == [True, True, False, False, False, False]
    assert [v.notify for v in verdicts] == [False, False, True, False, False, False]
    clock.now += 61  # the period is over: the next block is a new period with a new notice
    verdicts = burst(fc, 4)
    assert [v.allowed for v in verdicts] == [True, True, False, False]
    assert [v.notify for v in verdicts] == [False, False, True, False]


def test_the_user_limit_counts_across_all_chats():
    fc, _ = flood(user=3, group=100)
    assert fc.check(USER, USER, False).allowed
    assert fc.check(USER, GROUP, True).allowed
    assert fc.check(USER, GROUP2, True).allowed
    assert not fc.check(USER, USER, False).allowed
    assert not fc.check(USER, GROUP, True).allowed
    assert fc.check(OTHER, OTHER, False).allowed  # another user is not affected


def test_the_group_limit_counts_all_members_and_only_that_group():
    fc, clock = flood(user=100, group=4)
    members = [10, 11, 12, 13]
    assert all(fc.check(m, GROUP, True).allowed for m in members)
    first = fc.check(14, GROUP, True)
    assert not first.allowed and first.notify  # one notice in the group ...
    later = fc.check(15, GROUP, True)
    assert not later.allowed and not later.notify  # ... not one per member
    assert fc.check(14, GROUP2, True).allowed  # another group is not affected
    assert fc.check(14, 14, False).allowed  # nor the member's private chat
    clock.now += 60
    assert fc.check(15, GROUP, True).allowed


def test_a_group_message_blocked_by_the_group_limit_does_not_use_up_the_users_quota():
    fc, _ = flood(user=2, group=1)
    assert fc.check(USER, GROUP, True).allowed
    assert not fc.check(OTHER, GROUP, True).allowed
    assert [v.allowed for v in burst(fc, 3, user=OTHER, chat=OTHER)] == [True, True, False]


def test_zero_switches_a_limit_off():
    fc, _ = flood(user=0, group=2)
    assert all(v.allowed for v in burst(fc, 100))  # private: no limit at all
    assert [fc.check(USER, GROUP, True).allowed for _ in range(3)] == [True, True, False]
    fc, _ = flood(user=2, group=0)
    assert [fc.check(u, GROUP, True).allowed for u in range(100, 200)] == [True] * 100
    assert [v.allowed for v in burst(fc, 3, chat=GROUP, group=True)] == [True, True, False]


def test_memory_stays_bounded():
    fc, clock = flood(user=3, group=5)
    for u in range(1000):
        burst(fc, 10, user=u, chat=-u, group=True)
    assert all(len(k.hits) <= 3 for k in fc.users.keys.values())  # one key's memory: at most `limit` stamps
    assert len(fc) == 2000
    clock.now += 61  # everyone went quiet for a window: the next check forgets them
    fc.check(USER, USER, False)
    assert len(fc) == 1


def test_a_sweep_keeps_blocked_keys_and_their_notice_state():
    fc, clock = flood(user=2, window=10)
    fc.check(OTHER, OTHER, False)  # t=0, idle afterwards
    clock.now += 1
    burst(fc, 2)  # t=1: USER is full until t=11
    clock.now += 1
    assert fc.check(USER, USER, False).notify
    clock.now += 8.5  # t=10.5: a window since the start, so this check sweeps
    verdict = fc.check(USER, USER, False)
    assert not verdict.allowed and not verdict.notify  # still the same period: told already
    assert verdict.retry_after == pytest.approx(0.5)
    assert OTHER not in fc.users.keys and USER in fc.users.keys


def test_flood_notice_in_both_languages():
    uk, en = translator("uk"), translator("en")
    # Real plural forms (uk: 42 секунди, 3 хвилини; en: 1 second, 10 minutes) instead of "42 с", "10 min".
    assert uk("flood", wait=uk.wait(41.2)) == (
        "Забагато повідомлень поспіль. Зачекайте, будь ласка, 42 секунди — тоді я відповім знову. "
        "Повідомлення, надіслані до того, я пропущу.")
    assert en("flood", wait=en.wait(0.2)).startswith("Too many messages in a row. Please wait 1 second,")
    assert en.wait(600) == "10 minutes"
    assert uk.wait(125) == "3 хвилини"


def test_settings_defaults_and_validation(monkeypatch):
    s = load_settings(_env_file=None)
    assert (s.flood_user_messages, s.flood_group_messages, s.flood_window) == (8, 30, 60.0)
    monkeypatch.setenv("FLOOD_USER_MESSAGES", "0")
    assert load_settings(_env_file=None).flood_user_messages == 0
    monkeypatch.setenv("FLOOD_USER_MESSAGES", "-1")
    with pytest.raises(ConfigError, match="FLOOD_USER_MESSAGES"):
        load_settings(_env_file=None)
    monkeypatch.delenv("FLOOD_USER_MESSAGES")
    monkeypatch.setenv("FLOOD_WINDOW", "0")
    with pytest.raises(ConfigError, match="FLOOD_WINDOW"):
        load_settings(_env_file=None)


@dataclass
class Chat:
    id: int
    type: str


_MESSAGE_IDS = itertools.count(1)


@dataclass
class Incoming:
    """What `admit` reads of a message, and the replies it sends."""

    chat: Chat
    message_id: int = field(default_factory=lambda: next(_MESSAGE_IDS))
    replies: list[str] = field(default_factory=list)

    async def reply(self, text: str) -> None:
        self.replies.append(text)


def replicas(redis_url: str, **limits: object) -> tuple[FloodControl, FloodControl]:
    """Two bot replicas' flood control, as the bot builds it with REDIS_URL set."""
    settings = load_settings(_env_file=None, redis_url=redis_url, **limits)
    return FloodControl.from_settings(settings), FloodControl.from_settings(settings)


async def admitted(fcs: list[FloodControl], user: int, chat: int, kind: str = "private") -> tuple[list[bool], int]:
    """One message per flood control in turn (a user's messages spread over replicas); admitted, notices sent."""
    tr, told = translator("en"), []
    results = []
    for fc in fcs:
        message = Incoming(Chat(chat, kind))
        results.append(await fc.admit(message, user, tr))
        told += message.replies
    return results, len(told)


async def test_two_replicas_on_one_redis_share_a_users_limit_and_tell_once(redis_url):
    a, b = replicas(redis_url, flood_user_messages=3, flood_window=30)
    try:
        assert await admitted([a, b, a, b, a, b], USER, USER) == ([True] * 3 + [False] * 3, 1)
        assert await admitted([b, a], USER, GROUP, "supergroup") == ([False, False], 0)  # across chats, told already
        assert await admitted([b], OTHER, OTHER) == ([True], 0)  # another user is not affected
    finally:
        await a.aclose()
        await b.aclose()


async def test_two_replicas_share_a_groups_limit_and_tell_it_once(redis_url):
    a, b = replicas(redis_url, flood_group_messages=2, flood_window=30)
    try:
        members = zip([a, b, a, b], [11, 12, 13, 14], strict=True)  # each on the replica that got the update
        results = [await admitted([fc], user, GROUP, "supergroup") for fc, user in members]
        assert [r for [r], _ in results] == [True, True, False, False]
        assert sum(n for _, n in results) == 1
        assert await admitted([a], 13, 13) == ([True], 0)  # the member's private chat is not that group
    finally:
        await a.aclose()
        await b.aclose()


async def test_once_the_shared_window_passes_the_user_may_write_again(redis_url):
    a, b = replicas(redis_url, flood_user_messages=1, flood_window=1)
    try:
        assert await admitted([a, b, a], USER, USER) == ([True, False, False], 1)
        await asyncio.sleep(1.1)
        assert await admitted([b, a], USER, USER) == ([True, False], 1)  # a new period: told again
    finally:
        await a.aclose()
        await b.aclose()


async def test_with_redis_down_every_message_is_admitted_and_the_log_says_so_once(caplog):
    nobody = f"redis://127.0.0.1:{free_port()}/0"
    fc = FloodControl.from_settings(load_settings(_env_file=None, redis_url=nobody, flood_user_messages=1))
    try:
        with caplog.at_level(logging.WARNING, logger="bot.turn.flood"):
            assert await admitted([fc] * 4, USER, USER) == ([True] * 4, 0)
        assert len([r for r in caplog.records if "Redis does not answer" in r.getMessage()]) == 1
    finally:
        await fc.aclose()


async def test_a_message_taken_over_by_another_replica_is_not_counted_twice(redis_url):
    a, b = replicas(redis_url, flood_user_messages=2, flood_window=30)
    tr = translator("en")
    try:
        first = Incoming(Chat(USER, "private"))
        assert await a.admit(first, USER, tr) and await b.admit(first, USER, tr), "the same message, handled again"
        assert await b.admit(Incoming(Chat(USER, "private")), USER, tr), "so the user's second message still fits"
        assert not await a.admit(Incoming(Chat(USER, "private")), USER, tr)
    finally:
        await a.aclose()
        await b.aclose()
