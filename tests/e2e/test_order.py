"""Several messages in one chat are stored at once and answered in the order they arrived."""
from __future__ import annotations

from tests.harness import running_bot


async def test_burst_in_one_chat_is_answered_in_order_with_each_history(tmp_path, tg, llm, monkeypatch):
    llm.token_delay = 0.01
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, update_interval=0.2) as bot:
        for i in range(5):
            bot.say(f"питання {i}")
        bot.say("@dagi_bot")  # an empty question in between must not break the queue
        bot.say("питання 5")
        texts = await bot.replies(1001, n=7, timeout=20)
        assert sum("Напишіть питання" in t for t in texts) == 1
        answers = [t for t in texts if t.startswith("echo:")]
        assert answers == [f"echo: питання {i}" for i in range(6)]
        # Each request carried exactly the earlier turns, in order.
        last = llm.chat_requests()[-1].json["messages"]
        users = [m["content"] for m in last if m["role"] == "user"]
        assert users == [f"питання {i}" for i in range(6)]


async def test_persona_and_history_survive_a_restart(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        bot.say("/agent helion")
        await tg.wait_for(lambda: any("Helion" in t for t in tg.sent_texts(1001)))
        bot.say("Що таке EcoMiner?")
        await bot.replies(1001, n=2)
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        bot.say("А BioMiner?")
        await bot.replies(1001, n=3)
    last = llm.chat_requests()[-1].json["messages"]
    assert "Helion" in last[0]["content"]
    assert [m["content"] for m in last[1:]] == ["Що таке EcoMiner?", "echo: Що таке EcoMiner?", "А BioMiner?"]


async def test_typing_is_shown_only_while_a_slow_model_thinks(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        llm.token_delay = 0.8  # the first token comes after 0.8 s: the user should see "typing…"
        llm.reply("повільна відповідь")
        bot.say("Подумай добре")
        await bot.replies(1001)
        typing = tg.calls_of("sendChatAction", chat_id=1001)
        assert typing and typing[0].params["action"] == "typing"
        first_text = min(c.at for c in tg.calls if c.method in ("sendMessageDraft", "sendMessage"))
        assert all(c.at < first_text for c in typing), "typing stops once text is visible"
        llm.token_delay = 0.0
        llm.reply("швидка відповідь")
        before = len(typing)
        bot.say("Швидко")
        await bot.replies(1001, n=2)
        assert len(tg.calls_of("sendChatAction", chat_id=1001)) == before, "a fast answer needs no typing"


async def test_group_answer_arrives_even_if_its_preview_was_deleted(tmp_path, tg, llm, monkeypatch):
    group = -100777
    answer = " ".join(f"слово{i}" for i in range(60))
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, update_interval=0.3) as bot:
        llm.token_delay = 0.03
        llm.reply(answer)
        bot.say("@dagi_bot розкажи", chat_id=group, chat_type="supergroup")
        await tg.wait_for(lambda: tg.calls_of("sendMessage", chat_id=group))
        preview = tg.messages(group)[-1]["message_id"]
        tg.delete_message(group, preview)  # a moderator removes the half-written answer
        await tg.wait_for(lambda: any(m["text"] == answer for m in tg.messages(group)), timeout=15)
        sends = tg.calls_of("sendMessage", chat_id=group)
        assert len(sends) == 2, "one new message replaces the deleted preview and is edited from then on"
        assert len(tg.calls_of("editMessageText", chat_id=group)) >= 2


async def test_a_429_on_a_command_reply_is_waited_out(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        tg.fail_next("sendMessage", "429", retry_after=1)
        bot.say("/help")
        texts = await bot.replies(1001, timeout=15)
        assert len(texts) == 1 and "/agent" in texts[0]
        failed = [c for c in tg.calls_of("sendMessage", chat_id=1001) if not c.ok]
        assert len(failed) == 1 and tg.calls_of("sendMessage", chat_id=1001)[-1].at - failed[0].at >= 0.9
