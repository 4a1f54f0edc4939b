"""End to end through real aiogram over HTTP: fake Bot API ↔ bot ↔ fake LLM."""
from __future__ import annotations

import asyncio

from tests.harness import TOKEN, running_bot


async def test_private_message_gets_streamed_answer(tmp_path, tg, llm, monkeypatch):
    answer = " ".join(f"word{i}" for i in range(40))
    llm.reply(answer)
    llm.token_delay = 0.02
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        bot.say("Привіт, хто ти?")
        texts = await bot.replies(1001)
        assert texts == [answer]
        drafts = [c.params["text"] for c in tg.calls_of("sendMessageDraft", chat_id=1001)]
        assert drafts, "the answer should stream as drafts before the final message"
        assert all(answer.startswith(d) for d in drafts)
        sent = llm.chat_requests()[-1].json
        assert sent["messages"][0]["role"] == "system"
        assert "DAARWIZZ" in sent["messages"][0]["content"]
        assert sent["messages"][-1] == {"role": "user", "content": "Привіт, хто ти?"}


async def test_a_stopped_bot_takes_no_more_updates(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        bot.say("Привіт")
        await bot.replies(1001)
    bot.say("ще є хтось?")  # arrives while no bot runs: it must wait for the next start, not be half-answered
    await asyncio.sleep(2.5)
    assert tg.pending_updates(TOKEN) == 1 and tg.sent_texts(1001) == ["echo: Привіт"]
