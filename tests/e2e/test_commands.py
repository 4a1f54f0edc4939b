"""Commands end to end: /start and the persona picker, /agent, /help, /whoami, /reset, unknown commands, persona bots.
"""
from __future__ import annotations

import json

from tests.harness import HELION_TOKEN, TOKEN, prompt_of, running_bot, system_of


def buttons(message: dict) -> list[dict]:
    return [b for row in message["reply_markup"]["inline_keyboard"] for b in row]


async def test_start_greets_and_the_picker_switches_persona(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        bot.say("/start")
        [greeting] = await bot.replies(1001)
        assert greeting.startswith("Вітаю, Olena!")
        assert "DAARWIZZ" in greeting
        picker = tg.messages(1001)[-1]
        keys = [b["callback_data"] for b in buttons(picker)]
        assert keys == ["agent:daarwizz", "agent:helion", "agent:greenfood"]
        assert any(b["text"].startswith("✅") and "DAARWIZZ" in b["text"] for b in buttons(picker))

        tg.press_button(TOKEN, chat_id=1001, user_id=1001, message_id=picker["message_id"], data="agent:helion")
        await tg.wait_for(lambda: "Helion" in (tg.messages(1001)[-1].get("text") or "")
                          and tg.calls_of("answerCallbackQuery"))
        edited = tg.messages(1001)[-1]
        assert edited["message_id"] == picker["message_id"], "the picker itself is edited"
        assert edited["text"].startswith("Тепер з вами говорить ⚡ Helion")
        assert any(b["text"].startswith("✅") and "Helion" in b["text"] for b in buttons(edited))
        assert tg.calls_of("answerCallbackQuery")[0].ok

        before = len(tg.sent_texts(1001))
        tg.press_button(TOKEN, chat_id=1001, user_id=1001, message_id=picker["message_id"], data="agent:helion")
        await tg.wait_for(lambda: len(tg.calls_of("answerCallbackQuery")) == 2)
        bot.say("Що таке BioMiner?")
        await bot.replies(1001, 2)
        assert system_of(llm.chat_requests()[-1]).startswith(prompt_of(bot, "helion"))
        assert len(tg.sent_texts(1001)) == before + 1, "a second tap on the same button says nothing, no error"


async def test_agent_command(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        bot.say("/agent nobody")
        [unknown] = await bot.replies(1001)
        assert unknown.startswith("Немає агента «nobody»")
        assert "daarwizz" in unknown and "helion" in unknown and "greenfood" in unknown

        bot.say("/agent")
        texts = await bot.replies(1001, 2)
        assert texts[-1].startswith("Оберіть агента")
        picker = tg.messages(1001)[-1]
        assert [b["callback_data"] for b in buttons(picker)] == ["agent:daarwizz", "agent:helion", "agent:greenfood"]

        bot.say("/agent helion")
        texts = await bot.replies(1001, 3)
        assert texts[-1].startswith("Тепер з вами говорить ⚡ Helion")
        bot.say("Привіт")
        await bot.replies(1001, 4)
        assert system_of(llm.chat_requests()[-1]).startswith(prompt_of(bot, "helion"))
        assert len(llm.chat_requests()) == 1, "commands never reach the model"


async def test_help_and_whoami(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        bot.say("/help", chat_id=4242, user_id=4242)
        [help_text] = await bot.replies(4242)
        for word in ("/agent", "/reset", "/whoami", "/help", "DAARWIZZ", "Helion", "GREENFOOD", "@dagi_bot"):
            assert word in help_text

        bot.say("/whoami", chat_id=4242, user_id=4242)
        texts = await bot.replies(4242, 2)
        assert "id 4242" in texts[-1] and "Чат: 4242" in texts[-1] and "DAARWIZZ" in texts[-1]

        # In a group the chat and the user differ.
        bot.say("/agent helion", chat_id=-100900, user_id=4242, chat_type="supergroup")
        await bot.replies(-100900)
        bot.say("/whoami", chat_id=-100900, user_id=4242, chat_type="supergroup")
        texts = await bot.replies(-100900, 2)
        assert "id 4242" in texts[-1] and "-100900" in texts[-1] and "Helion" in texts[-1]
        assert not llm.chat_requests()


async def test_reset_forgets_the_conversation(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        bot.say("Мене звати Тарас")
        await bot.replies(1001)
        bot.say("Як мене звати?")
        await bot.replies(1001, 2)
        before = llm.chat_requests()[-1].json["messages"]
        assert [m["content"] for m in before[1:]] == ["Мене звати Тарас", "echo: Мене звати Тарас", "Як мене звати?"]

        bot.say("/reset")
        texts = await bot.replies(1001, 3)
        assert texts[-1].startswith("Почнімо спочатку")
        bot.say("А зараз?")
        await bot.replies(1001, 4)
        after = llm.chat_requests()[-1].json["messages"]
        assert [m["role"] for m in after] == ["system", "user"]
        assert after[-1]["content"] == "А зараз?"


async def test_unknown_command_in_the_users_language(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        bot.say("/foo")
        assert (await bot.replies(1001))[0].startswith("Невідома команда /foo")
        bot.say("/foo bar", chat_id=2002, user_id=2002, language_code="en")
        assert (await bot.replies(2002))[0].startswith("Unknown command /foo")
        assert not llm.chat_requests()


async def test_persona_bot_token_is_served_by_the_same_process(tmp_path, tg, llm, monkeypatch):
    tg.add_bot(HELION_TOKEN, "helion_bot", first_name="Helion")
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch,
                           agent_bot_tokens={"helion": HELION_TOKEN}) as bot:
        llm.reply("Відповідь Helion.")
        tg.send_text(HELION_TOKEN, chat_id=3003, user_id=3003, text="Що таке EcoMiner?")
        assert await bot.replies(3003) == ["Відповідь Helion."]
        assert system_of(llm.chat_requests()[-1]).startswith(prompt_of(bot, "helion"))
        assert {c.token for c in tg.calls_of("sendMessage", chat_id=3003)} == {HELION_TOKEN}

        tg.send_text(HELION_TOKEN, chat_id=3003, user_id=3003, text="/agent greenfood")
        texts = await bot.replies(3003, 2)
        assert texts[-1].startswith("Цей бот — лише Helion")
        tg.send_text(HELION_TOKEN, chat_id=3003, user_id=3003, text="А тепер хто ти?")
        await bot.replies(3003, 3)
        assert system_of(llm.chat_requests()[-1]).startswith(prompt_of(bot, "helion"))

        llm.reply("Відповідь DAARWIZZ.")
        bot.say("Хто ти?", chat_id=4004, user_id=3003)
        assert await bot.replies(4004) == ["Відповідь DAARWIZZ."]
        assert system_of(llm.chat_requests()[-1]).startswith(prompt_of(bot, "daarwizz"))
        assert {c.token for c in tg.calls_of("sendMessage", chat_id=4004)} == {TOKEN}


async def test_command_menus_follow_the_languages_config(tmp_path, tg, llm, monkeypatch):
    """uk users, and ru/be users who read the uk catalogs, see a Ukrainian menu; everyone else the English one."""
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        bot.say("/start")
        await bot.replies(1001)
        # The menus are set once the bot polls, beside the first answers: one per catalog language and `ru`, `be`.
        await tg.wait_for(lambda: len(tg.calls_of("setMyCommands", token=TOKEN)) >= 4)
        menus = {}
        for call in tg.calls_of("setMyCommands", token=TOKEN):
            if "scope" not in call.params:
                commands = call.params["commands"]
                commands = json.loads(commands) if isinstance(commands, str) else commands
                menus[call.params.get("language_code")] = {c["command"]: c["description"] for c in commands}
    assert set(menus) == {None, "uk", "ru", "be"}
    assert menus["ru"] == menus["be"] == menus["uk"] != menus[None]
    assert menus["uk"]["help"] != menus[None]["help"]
