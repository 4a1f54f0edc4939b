"""Groups end to end: when the bot speaks up, which persona answers, how answers are paced, and context scopes."""
from __future__ import annotations

from bot.testing import FakeTelegram
from tests.harness import prompt_of, running_bot, system_of

GROUP = -100123
UPDATE_INTERVAL = 0.3  # what tests/harness.py configures
VISIBLE = ("sendMessage", "editMessageText", "sendMessageDraft")


def visible_updates(tg: FakeTelegram, chat_id: int) -> list:
    """Successful calls that change what the user sees in the chat, in arrival order."""
    return sorted((c for m in VISIBLE for c in tg.calls_of(m, chat_id=chat_id) if c.ok), key=lambda c: c.at)


def assert_paced(calls: list) -> None:
    gaps = [b.at - a.at for a, b in zip(calls, calls[1:], strict=False)]
    assert all(g >= UPDATE_INTERVAL * 0.9 for g in gaps), f"updates closer than {UPDATE_INTERVAL}s: {gaps}"


async def test_group_answers_only_when_addressed(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        bot.say("Всім привіт, хто йде на каву?", chat_id=GROUP, chat_type="supergroup", message_id=10_001)
        llm.reply("Я DAGI, слухаю.")
        bot.say("@dagi_bot хто ти?", chat_id=GROUP, chat_type="supergroup", message_id=10_002)
        assert await bot.replies(GROUP) == ["Я DAGI, слухаю."]

        # The chatter before the mention reached neither the model nor the chat.
        requests = llm.chat_requests()
        assert len(requests) == 1
        assert requests[0].json["messages"][-1] == {"role": "user", "content": "хто ти?"}
        assert "каву" not in str(requests[0].json)
        sent = [c for c in tg.calls_of("sendMessage", chat_id=GROUP) if c.ok]
        assert len(sent) == 1
        assert sent[0].params["reply_parameters"]["message_id"] == 10_002

        # Replying to the bot's message is addressing it too.
        bot_msg = tg.messages(GROUP)[0]["message_id"]
        llm.reply("Так, продовжуймо.")
        bot.say("А що ти вмієш?", chat_id=GROUP, chat_type="supergroup", reply_to_bot_message=bot_msg,
                message_id=10_003)
        assert await bot.replies(GROUP, 2) == ["Я DAGI, слухаю.", "Так, продовжуймо."]
        assert llm.chat_requests()[-1].json["messages"][-1] == {"role": "user", "content": "А що ти вмієш?"}
        assert tg.calls_of("sendMessage", chat_id=GROUP)[-1].params["reply_parameters"]["message_id"] == 10_003


async def test_group_addressing_a_persona_by_name_does_not_switch_the_group(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        llm.reply("EcoMiner — це когенераційна установка.")
        bot.say("Helion, що таке EcoMiner?", chat_id=GROUP, chat_type="supergroup")
        assert await bot.replies(GROUP) == ["EcoMiner — це когенераційна установка."]
        asked = llm.chat_requests()[-1]
        assert system_of(asked).startswith(prompt_of(bot, "helion"))
        assert asked.json["messages"][-1] == {"role": "user", "content": "що таке EcoMiner?"}

        # The next plain mention is answered by the group's persona, still DAARWIZZ.
        llm.reply("Я DAARWIZZ.")
        bot.say("@dagi_bot а ти хто?", chat_id=GROUP, chat_type="supergroup")
        await bot.replies(GROUP, 2)
        assert system_of(llm.chat_requests()[-1]).startswith(prompt_of(bot, "daarwizz"))
        bot.say("/whoami@dagi_bot", chat_id=GROUP, chat_type="supergroup")
        texts = await bot.replies(GROUP, 3)
        assert "DAARWIZZ" in texts[-1] and "Helion" not in texts[-1]


async def test_group_streams_by_editing_one_message_at_a_steady_pace(tmp_path, tg, llm, monkeypatch):
    answer = " ".join(f"слово{i}" for i in range(40))
    llm.reply(answer)
    llm.token_delay = 0.05
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        bot.say("@dagi_bot розкажи довго", chat_id=GROUP, chat_type="supergroup")
        await tg.wait_for(lambda: [m.get("text") for m in tg.messages(GROUP)] == [answer], timeout=10)
        # A second answer in the same chat starts only after the first is fully delivered.
        bot.say("@dagi_bot ще", chat_id=GROUP, chat_type="supergroup")
        await tg.wait_for(lambda: len(tg.messages(GROUP)) == 2 and tg.messages(GROUP)[1].get("text") == "echo: ще")

        last_send = tg.calls_of("sendMessage", chat_id=GROUP)[-1].at
        first_answer = [c for c in visible_updates(tg, GROUP) if c.at < last_send]
        assert not tg.calls_of("sendMessageDraft", chat_id=GROUP), "no drafts in groups"
        assert [c.method for c in first_answer][0] == "sendMessage"
        assert {c.method for c in first_answer[1:]} == {"editMessageText"}, "streamed by editing one message"
        assert len(first_answer) >= 3, "a slow answer should be shown growing"
        edited = {c.params["message_id"] for c in first_answer[1:]}
        assert edited == {tg.messages(GROUP)[0]["message_id"]}
        assert tg.messages(GROUP)[0]["text"] == answer
        for c in first_answer:
            assert answer.startswith(c.params["text"])
        assert_paced(first_answer)


async def test_private_drafts_are_paced_too(tmp_path, tg, llm, monkeypatch):
    answer = " ".join(f"word{i}" for i in range(40))
    llm.reply(answer)
    llm.token_delay = 0.05
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        bot.say("Розкажи довго")
        assert await bot.replies(1001) == [answer]
        calls = visible_updates(tg, 1001)
        assert [c.method for c in calls].count("sendMessageDraft") >= 3
        assert calls[-1].method == "sendMessage"
        # Drafts are paced among themselves; the final message is not held behind the last of them.
        assert_paced([c for c in calls if c.method == "sendMessageDraft"])


async def test_group_and_private_histories_are_separate(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        llm.reply("Запам'ятав твій пароль-кіт.")
        bot.say("Мій приватний секрет: пароль-кіт")
        await bot.replies(1001)

        llm.reply("Зустріч у групі о п'ятій.")
        bot.say("@dagi_bot коли груповий мітинг-пес?", chat_id=GROUP, chat_type="supergroup")
        await bot.replies(GROUP)
        in_group = str(llm.chat_requests()[-1].json)
        assert "мітинг-пес" in in_group
        assert "пароль-кіт" not in in_group

        bot.say("Нагадай мій секрет")
        await bot.replies(1001, 2)
        in_private = str(llm.chat_requests()[-1].json)
        assert "пароль-кіт" in in_private, "private history should be sent along"
        assert "мітинг-пес" not in in_private and "п'ятій" not in in_private

        # And the group keeps its own history.
        bot.say("@dagi_bot а що я питав?", chat_id=GROUP, chat_type="supergroup")
        await bot.replies(GROUP, 2)
        again = str(llm.chat_requests()[-1].json)
        assert "мітинг-пес" in again and "пароль-кіт" not in again


async def test_forum_topics_have_their_own_persona(tmp_path, tg, llm, monkeypatch):
    forum = -100555
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        bot.say("/agent helion", chat_id=forum, chat_type="supergroup", thread_id=5)
        await bot.replies(forum)
        switched = tg.calls_of("sendMessage", chat_id=forum)[-1]
        assert "Helion" in switched.params["text"]
        assert switched.params["message_thread_id"] == 5

        llm.reply("Відповідає Helion.")
        bot.say("@dagi_bot питання в темі 5", chat_id=forum, chat_type="supergroup", thread_id=5)
        await bot.replies(forum, 2)
        assert system_of(llm.chat_requests()[-1]).startswith(prompt_of(bot, "helion"))
        answer = tg.calls_of("sendMessage", chat_id=forum)[-1]
        assert answer.params["text"] == "Відповідає Helion."
        assert answer.params["message_thread_id"] == 5

        llm.reply("Відповідає DAARWIZZ.")
        bot.say("@dagi_bot питання в темі 7", chat_id=forum, chat_type="supergroup", thread_id=7)
        await bot.replies(forum, 3)
        assert system_of(llm.chat_requests()[-1]).startswith(prompt_of(bot, "daarwizz"))
        answer = tg.calls_of("sendMessage", chat_id=forum)[-1]
        assert answer.params["text"] == "Відповідає DAARWIZZ."
        assert answer.params["message_thread_id"] == 7
        # Topic 7 never heard topic 5's conversation.
        assert "темі 5" not in str(llm.chat_requests()[-1].json)
