"""Pacing end to end: bursts while Telegram is happy, strict after its 429, the final never behind a draft."""
from __future__ import annotations

import asyncio

from tests.harness import Bot, running_bot

USERS = (3001, 3002, 3003)


async def converse(bot: Bot, chat: int, n: int) -> None:
    """A user who sends the next message as soon as the previous answer is there."""
    for k in range(n):
        bot.say(f"питання {chat}-{k}", chat_id=chat, user_id=chat)
        await bot.replies(chat, n=k + 1, timeout=30)


async def test_a_lively_chat_gets_its_answers_without_a_forced_pause(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, update_interval=2.0) as bot:
        await converse(bot, 3001, 3)
        finals = [c for c in tg.calls_of("sendMessage", chat_id=3001) if c.ok]
        assert [c.params["text"] for c in finals] == [f"echo: питання 3001-{k}" for k in range(3)]
        gaps = [b.at - a.at for a, b in zip(finals, finals[1:], strict=False)]
        assert all(g < 2.0 for g in gaps), f"a burst of three goes out without the 2 s spacing: {gaps}"
        assert not tg.rate_limited


async def test_under_a_strict_telegram_every_answer_arrives_whole_and_in_order(tmp_path, tg, llm, monkeypatch):
    tg.chat_limit(per_second=1)  # 429 past one send or edit per chat per second
    llm.token_delay = 0.005
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, update_interval=1.0) as bot:
        await asyncio.gather(*(converse(bot, chat, 4) for chat in USERS))
        for chat in USERS:
            assert tg.sent_texts(chat) == [f"echo: питання {chat}-{k}" for k in range(4)]
            refused = [c for c in tg.rate_limited if c.params.get("chat_id") == chat]
            assert len(refused) <= 1, "after its first 429 the chat is spaced strictly: no second one"
        assert tg.rate_limited, "the burst met Telegram's limit at least once"
        for call in tg.rate_limited:  # each refused message was sent again and went through
            assert any(c.ok and c.params.get("text") == call.params.get("text") and c.at > call.at
                       for c in tg.calls_of(call.method, chat_id=call.params["chat_id"]))


async def test_the_final_answer_is_not_held_behind_a_draft(tmp_path, tg, llm, monkeypatch):
    answer = " ".join(f"слово{i}" for i in range(8))
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, update_interval=5.0) as bot:
        llm.token_delay = 0.1  # a draft shows after the first tokens; the next would be due 5 s later
        llm.reply(answer)
        bot.say("Розкажи")
        assert await bot.replies(1001, timeout=4) == [answer], "the final did not wait out the draft's 5 s"
        drafts = [c for c in tg.calls_of("sendMessageDraft", chat_id=1001) if c.ok]
        [final] = [c for c in tg.calls_of("sendMessage", chat_id=1001) if c.ok]
        assert len(drafts) == 1 and drafts[0].at < final.at
