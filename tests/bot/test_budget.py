"""The per-chat budget: bursts while Telegram is happy, strict after a 429, drafts apart, groups' cadence."""
from __future__ import annotations

import pytest

from bot.delivery.budget import ChatPacer, Kind

USER, GROUP = 42, -100500


class Clock:
    """A hand-moved monotonic clock."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def send_now(pacer: ChatPacer, chat: int, kind: Kind = "send") -> bool:
    """Send if the budget allows it now; True if it did."""
    if pacer.wait_time(chat, kind) > 0:
        return False
    pacer.mark(chat, kind)
    return True


def test_a_private_chat_gets_three_answers_at_once_then_one_a_second(clock):
    pacer = ChatPacer(1.0, burst=3, clock=clock)
    assert [send_now(pacer, USER) for _ in range(4)] == [True, True, True, False]
    assert pacer.wait_time(USER) == pytest.approx(1.0)
    clock.now += 1.0
    assert send_now(pacer, USER) and not send_now(pacer, USER)
    clock.now += 3.0  # a quiet moment refills the burst
    assert [send_now(pacer, USER) for _ in range(4)] == [True, True, True, False]


def test_after_a_429_the_chat_waits_retry_after_then_is_spaced_strictly_until_calm(clock):
    pacer = ChatPacer(1.0, burst=3, calm=60.0, clock=clock)
    send_now(pacer, USER)
    pacer.penalize(USER, 5)
    assert pacer.wait_time(USER) == pytest.approx(5.0)
    assert pacer.strict(USER)
    clock.now += 5.0
    assert send_now(pacer, USER) and not send_now(pacer, USER), "no burst while strict"
    for _ in range(20):
        clock.now += 1.0
        assert send_now(pacer, USER) and not send_now(pacer, USER)
    clock.now += 60.0  # a minute without a 429: bursts are allowed again
    assert not pacer.strict(USER)
    assert [send_now(pacer, USER) for _ in range(4)] == [True, True, True, False]


def test_drafts_have_their_own_budget(clock):
    pacer = ChatPacer(1.0, burst=3, clock=clock)
    assert [send_now(pacer, USER, "draft") for _ in range(4)] == [True, True, True, False]
    assert pacer.wait_time(USER, "send") == 0, "previews never delay a real message"
    assert [send_now(pacer, USER) for _ in range(3)] == [True, True, True]


def test_a_refused_draft_slows_drafts_but_not_messages(clock):
    pacer = ChatPacer(1.0, burst=3, clock=clock)
    pacer.penalize(USER, 3, "draft")
    assert pacer.wait_time(USER, "draft") == pytest.approx(3.0)
    assert pacer.wait_time(USER, "send") == 0 and not pacer.strict(USER)


def test_a_refused_message_stops_drafts_too(clock):
    pacer = ChatPacer(1.0, burst=3, clock=clock)
    pacer.penalize(USER, 2)
    assert pacer.wait_time(USER, "draft") == pytest.approx(2.0)


def test_groups_get_one_visible_update_a_second(clock):
    pacer = ChatPacer(1.0, burst=3, clock=clock)
    assert send_now(pacer, GROUP) and not send_now(pacer, GROUP, "edit")
    clock.now += 1.0
    assert send_now(pacer, GROUP, "edit") and not send_now(pacer, GROUP)


def test_groups_get_at_most_twenty_new_messages_a_minute(clock):
    pacer = ChatPacer(1.0, burst=3, group_per_minute=20, clock=clock)
    sent = 0
    for _ in range(60):
        sent += send_now(pacer, GROUP)
        clock.now += 1.0
    assert sent == 20
    assert pacer.wait_time(GROUP) == 0, "the first of them is a minute old now"
    for _ in range(60):  # edits of messages already there are not new messages
        assert send_now(pacer, GROUP, "edit")
        clock.now += 1.0


def test_chats_do_not_share_a_budget(clock):
    pacer = ChatPacer(1.0, burst=1, clock=clock)
    pacer.penalize(USER, 10)
    assert send_now(pacer, USER + 1) and send_now(pacer, GROUP)


def test_a_claimed_update_holds_the_slot_until_telegram_answers(clock):
    pacer = ChatPacer(1.0, burst=3, clock=clock)
    assert pacer.take(GROUP) == 0
    assert pacer.take(GROUP, "edit") > 0, "a second sender waits while the first is on the wire"
    clock.now += 5.0  # a slow call: the interval counts from when Telegram took the update
    pacer.done(GROUP)
    assert pacer.take(GROUP, "edit") == pytest.approx(1.0)
    clock.now += 1.0
    assert pacer.take(GROUP, "edit") == 0
    pacer.done(GROUP, "edit", sent=False)  # refused: the slot is given back, nothing recorded
    assert pacer.take(GROUP) == 0


def test_a_429_retried_inside_the_call_still_spaces_the_next_update(clock):
    pacer = ChatPacer(1.0, burst=3, clock=clock)
    assert pacer.take(USER) == 0
    pacer.penalize(USER, 1)  # Telegram refused; the session waits retry_after and sends again
    clock.now += 1.0
    pacer.done(USER)  # the retry went through
    assert pacer.take(USER) == pytest.approx(1.0), "strict now: one a second from the retried message"
