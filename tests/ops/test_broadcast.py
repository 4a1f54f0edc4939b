"""Broadcasts: who receives one, the pace, the counts, blocked chats marked and skipped, stop, one at a time."""
from __future__ import annotations

import asyncio
import time
from itertools import pairwise
from pathlib import Path
from types import SimpleNamespace

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramForbiddenError, TelegramRetryAfter
from sqlalchemy import insert, select

from agents.persona import load_personas
from bot.delivery.notifier import TelegramNotifier
from bot.delivery.pacing import RetryAfterMiddleware
from bot.testing import FakeTelegram
from ops.broadcast import BroadcastBusy, Broadcaster, Progress, parse_audience
from ops.notify import Sent
from storage.audience import AudienceStore, Recipient
from storage.models import AllowedChat, Chat, Message, User
from storage.people import PeopleStore
from storage.store import Store, open_store
from tests.conftest import API_TOKEN as TOKEN

ROOT = Path(__file__).resolve().parents[2]


class FakeNotifier:
    """Records each send with its monotonic time; answers a scripted status per chat after `delay`."""

    def __init__(self, statuses: dict[int, str] | None = None, delay: float = 0.0) -> None:
        self.statuses, self.delay = statuses or {}, delay
        self.sent: list[tuple[str, int, str, float]] = []
        self.in_flight = self.max_in_flight = 0

    @property
    def bots(self) -> list[str]:
        return ["main"]

    async def send(self, bot: str, chat_id: int, text: str, *, thread_id: int = 0) -> Sent:
        self.sent.append((bot, chat_id, text, time.monotonic()))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.in_flight -= 1
        return Sent(self.statuses.get(chat_id, "delivered"), 1)

    async def edit(self, bot: str, chat_id: int, message_id: int, text: str) -> Sent:
        return Sent("delivered", message_id)


@pytest.fixture
async def store(database_url: str):
    s = await open_store(database_url)
    yield s
    await s.close()


def engine(store: Store, notifier: FakeNotifier, *, rate: float = 200.0, **kw: float) -> Broadcaster:
    people, audience = PeopleStore(store.db), AudienceStore(store.db)
    return Broadcaster(notifier, people, audience, rate=rate, **kw)


def users(n: int, start: int = 1) -> list[Recipient]:
    return [Recipient("main", i, i) for i in range(start, start + n)]


def most_in_one_second(times: list[float]) -> int:
    """The largest number of sends inside any window of one second."""
    times = sorted(times)
    return max(sum(1 for u in times[i:] if u - t < 1.0) for i, t in enumerate(times))


async def seed(store: Store) -> None:
    """Users and chats of every kind the audience has to tell apart."""
    def work(c) -> None:
        c.execute(insert(User), [dict(id=i, role=None, blocked=False) for i in (1, 2, 3, 4, 5, 6, 7, 8)]
                  + [dict(id=9, role="banned", blocked=False), dict(id=10, role=None, blocked=True)])
        chat = dict(thread_id=0, chat_type="private", conversation=1)
        c.execute(insert(Chat), [
            {**chat, "bot": "main", "chat_id": 1, "agent": "helion"},
            {**chat, "bot": "main", "chat_id": 2, "agent": None},  # never picked: the default agent
            {**chat, "bot": "main", "chat_id": 3, "agent": "greenfood"},
            {**chat, "bot": "helion", "chat_id": 4, "agent": None},  # Helion's own bot: always Helion
            {**chat, "bot": "main", "chat_id": 5, "agent": "greenfood"},
            {**chat, "bot": "helion", "chat_id": 5, "agent": None},  # the same person on two bots: one message
            {**chat, "bot": "main", "chat_id": 9, "agent": None},  # banned
            {**chat, "bot": "main", "chat_id": 10, "agent": None},  # blocked the bot
            {**chat, "bot": "main", "chat_id": -500, "agent": None, "chat_type": "supergroup"},  # not allowed
            {**chat, "bot": "main", "chat_id": 7, "agent": "helion", "thread_id": 3},  # a topic, not a private chat
            {**chat, "bot": "old", "chat_id": 8, "agent": None},  # a bot this process no longer serves
        ])
        c.execute(insert(Message), [dict(bot="main", chat_id=6, thread_id=0, user_id=6, role="user", text="hi",
                                         chat_type="private", status="done", conversation=1)])  # wrote, never /agent
        c.execute(insert(AllowedChat), [dict(chat_id=-100, bot="main", blocked=False),
                                        dict(chat_id=-200, bot="main", blocked=True)])
    await store.db.run(work)


async def test_the_audience_is_one_message_per_reachable_chat(store: Store) -> None:
    await seed(store)
    aud = AudienceStore(store.db)
    kw = dict(default_agent="daarwizz", bots=["main", "helion"], locked={"helion": "helion"})

    async def chats(kind: str, agent: str | None = None) -> list[tuple[str, int]]:
        return [(r.bot, r.chat_id) for r in await aud.recipients(kind, agent=agent, **kw)]
    users_ = [("main", 1), ("main", 2), ("main", 3), ("helion", 4), ("main", 5), ("main", 6)]
    assert await chats("users") == users_
    assert await chats("groups") == [("main", -100)]
    assert await chats("all") == users_ + [("main", -100)]
    assert await chats("agent", "helion") == [("main", 1), ("helion", 4), ("helion", 5)]
    assert await chats("agent", "daarwizz") == [("main", 2), ("main", 6)]
    assert await chats("agent", "greenfood") == [("main", 3), ("main", 5)]
    groups = await aud.recipients("groups", **kw)
    assert groups[0].user_id is None


async def test_counts_and_blocked_chats_are_marked_and_skipped_next_time(store: Store) -> None:
    await seed(store)
    aud = AudienceStore(store.db)
    recipients = await aud.recipients("all", default_agent="daarwizz", bots=["main", "helion"])
    notifier = FakeNotifier({2: "blocked", -100: "blocked", 3: "failed"})
    final = await engine(store, notifier).run("Оновлення о 10:00", recipients)
    assert final == Progress(7, 7, 4, 2, 1, final.seconds, finished=True)
    assert [s[1] for s in notifier.sent] == [r.chat_id for r in recipients]
    assert {s[2] for s in notifier.sent} == {"Оновлення о 10:00"}
    people = PeopleStore(store.db)
    assert (await people.get(2)).blocked and not (await people.get(3)).blocked
    group = select(AllowedChat.blocked).where(AllowedChat.chat_id == -100)
    assert await store.db.run(lambda c: c.execute(group).scalar()), "the group that removed the bot is marked"
    again = await aud.recipients("all", default_agent="daarwizz", bots=["main", "helion"])
    assert [r.chat_id for r in again] == [1, 3, 4, 5, 6], "blocked chats are not tried again; failed ones are"


async def test_sends_are_spaced_so_no_second_holds_more_than_the_rate(store: Store) -> None:
    notifier = FakeNotifier(delay=0.08)  # each send takes a while, so several overlap
    final = await engine(store, notifier, rate=30, in_flight=4).run("hi", users(45))
    assert final.delivered == 45
    assert most_in_one_second([s[3] for s in notifier.sent]) <= 30
    assert 1 < notifier.max_in_flight <= 4


async def test_progress_is_reported_at_most_once_per_period_and_once_at_the_end(store: Store) -> None:
    seen: list[tuple[float, Progress]] = []

    async def show(p: Progress) -> None:
        seen.append((time.monotonic(), p))
    notifier = FakeNotifier({5: "blocked", 6: "failed"})
    final = await engine(store, notifier, rate=100, progress_every=0.2).run("hi", users(80), show)
    times, reports = [s[0] for s in seen], [s[1] for s in seen]
    assert reports[-1] is final and [p.finished for p in reports].count(True) == 1
    assert (final.done, final.delivered, final.blocked, final.failed) == (80, 78, 1, 1)
    assert 2 <= len(reports) - 1, "progress was shown while sending"
    assert all(b - a >= 0.19 for a, b in pairwise(times[:-1])), "at most once per period"
    assert all(p.done < 80 for p in reports[:-1]) and [p.done for p in reports] == sorted(p.done for p in reports)


async def test_stop_ends_the_broadcast_early_and_says_so(store: Store) -> None:
    notifier = FakeNotifier()
    b = engine(store, notifier, rate=20)
    task = b.start("hi", users(100))
    await asyncio.sleep(0.3)
    assert b.running and b.stop()
    final = await task
    assert final.cancelled and final.finished and 0 < final.done < 100
    assert len(notifier.sent) == final.done
    assert not b.running and not b.stop()


async def test_only_one_broadcast_runs_at_a_time(store: Store) -> None:
    b = engine(store, FakeNotifier(), rate=50)
    first = b.start("one", users(10))
    with pytest.raises(BroadcastBusy):
        b.start("two", users(10))
    with pytest.raises(BroadcastBusy):
        await b.run("two", users(10))
    assert (await first).delivered == 10
    assert (await b.run("three", users(3))).delivered == 3, "free again once the first one ended"


def test_audiences_are_parsed_by_name_and_agent_alias() -> None:
    ops = SimpleNamespace(personas=load_personas(ROOT / "config" / "agents.yaml"))
    assert parse_audience("ALL", ops) == ("all", None)
    assert parse_audience("групи", ops) == ("groups", None)
    assert parse_audience("agent:Helion", ops) == ("agent", "helion")
    assert parse_audience("agent:nobody", ops) is None
    assert parse_audience("everyone", ops) is None


# -- the fake Telegram's refusals, and the real notifier through them ------------------------------------------





async def test_the_fake_answers_403_for_a_chat_that_blocked_the_bot(tg: FakeTelegram, bot: Bot) -> None:
    tg.block(77)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(77, "hi")
    assert (await bot.send_message(78, "hi")).text == "hi"
    assert await TelegramNotifier({"main": bot}).send("main", 77, "hi") == Sent(
        "blocked", error="Telegram server says - Forbidden: bot was blocked by the user")
    tg.unblock(77)
    assert (await bot.send_message(77, "back")).text == "back"


async def test_the_fake_rate_limit_answers_429_past_the_limit_and_records_it(tg: FakeTelegram, bot: Bot) -> None:
    for i in range(40):  # no limit unless asked for
        await bot.send_message(1, f"m{i}")
    assert tg.rate_limited == []
    tg.rate_limit(per_second=5)
    for i in range(5):
        await bot.send_chat_action(1, "typing")  # not a message: not counted
        await bot.send_message(1, f"n{i}")
    with pytest.raises(TelegramRetryAfter) as err:
        await bot.edit_message_text("edited", chat_id=1, message_id=1)
    assert err.value.retry_after >= 1
    assert [c.method for c in tg.rate_limited] == ["editMessageText"]


async def test_a_429_during_a_broadcast_is_waited_out_not_counted_as_failed(tg: FakeTelegram, store: Store) -> None:
    tg.add_bot(TOKEN, "dagi_bot")
    session = AiohttpSession(api=TelegramAPIServer.from_base(tg.url))
    session.middleware(RetryAfterMiddleware())
    bot = Bot(TOKEN, session=session)
    try:
        tg.fail_next("sendMessage", "429", retry_after=1)
        final = await Broadcaster(TelegramNotifier({"main": bot}), PeopleStore(store.db), AudienceStore(store.db),
                                  rate=30).run("hi", users(5))
    finally:
        await bot.session.close()
    assert (final.delivered, final.failed) == (5, 0)
    assert sorted(c.params["chat_id"] for c in tg.calls_of("sendMessage") if c.ok) == [1, 2, 3, 4, 5]
