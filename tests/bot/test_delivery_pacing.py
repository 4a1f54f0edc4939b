"""Two answers streaming into one group at once (forum topics) still share its one update a second."""
from __future__ import annotations

import asyncio

from aiogram import Bot

from bot.delivery.budget import ChatPacer
from bot.delivery.stream import DeliveryOptions, TelegramSink
from bot.testing import FakeTelegram

GROUP, INTERVAL = -100321, 0.3
VISIBLE = ("sendMessage", "editMessageText", "sendMessageDraft")


async def stream(sink: TelegramSink, words: list[str]) -> None:
    await sink.start()
    for i in range(1, len(words) + 1):
        await sink.update(" ".join(words[:i]))
        await asyncio.sleep(0.02)
    await sink.finish(" ".join(words))
    await sink.close()


async def test_two_topics_of_one_group_never_update_it_twice_in_an_interval(tg: FakeTelegram, bot: Bot) -> None:
    opts = DeliveryOptions(ChatPacer(INTERVAL), first_delay=0.03)
    sinks = [TelegramSink(bot, opts, chat_id=GROUP, thread_id=topic, private=False) for topic in (11, 12)]
    answers = [[f"topic{t}-word{i}" for i in range(30)] for t in (11, 12)]
    await asyncio.gather(*(stream(s, a) for s, a in zip(sinks, answers, strict=True)))
    calls = sorted((c for m in VISIBLE for c in tg.calls_of(m, chat_id=GROUP) if c.ok), key=lambda c: c.at)
    gaps = [b.at - a.at for a, b in zip(calls, calls[1:], strict=False)]
    assert len(calls) >= 4 and all(g >= INTERVAL * 0.9 for g in gaps), f"updates closer than {INTERVAL} s: {gaps}"
    assert sorted(m["text"] for m in tg.messages(GROUP)) == sorted(" ".join(a) for a in answers)
