"""End to end through real aiogram over HTTP: fake Bot API ↔ bot ↔ fake LLM."""
from __future__ import annotations


from tests.harness import running_bot


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
