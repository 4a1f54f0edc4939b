"""/search end to end through the fake Bot API: status edits, the cited reply, history, groups and the switch."""
from __future__ import annotations

import json

from bot.testing import FakeTelegram
from tests.e2e.search_fakes import ANSWER, NBU, STATUS, FakeResearch, use_fake
from tests.harness import running_bot

GROUP = -100555
SOURCES = ("Джерела:\n[1] НБУ: офіційний курс гривні — https://bank.gov.ua/ua/markets/exchangerates\n"
           "[2] Мінфін — курс валют — https://minfin.com.ua/currency/")


def status_texts(tg: FakeTelegram, chat_id: int) -> list[tuple[float, str]]:
    """(time, text) of every status the chat saw: the first send and each edit of it."""
    sent = [c for c in tg.calls_of("sendMessage", chat_id=chat_id) if c.ok and STATUS.fullmatch(c.params["text"])]
    edits = [c for c in tg.calls_of("editMessageText", chat_id=chat_id) if c.ok]
    return [(c.at, c.params["text"]) for c in sorted(sent + edits, key=lambda c: c.at)]


async def test_search_edits_one_status_message_then_replies_with_numbered_sources(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        research = use_fake(bot, FakeResearch(pause=1.2))
        asked = 77
        bot.say("/search який курс гривні сьогодні?", message_id=asked)
        await tg.wait_for(lambda: any(ANSWER in t for t in tg.sent_texts(1001)), timeout=15)
        await tg.wait_for(lambda: tg.calls_of("deleteMessage", chat_id=1001), timeout=5)

        statuses = status_texts(tg, 1001)
        assert [t for _, t in statuses] == ["🔎 Шукаю…", "📖 Читаю 2 сторінки…", "✍️ Пишу відповідь…"]
        gaps = [b - a for (a, _), (b, _) in zip(statuses, statuses[1:], strict=False)]
        assert all(g >= 0.95 for g in gaps), f"status edits closer than a second: {gaps}"
        status_id = tg.calls_of("deleteMessage", chat_id=1001)[0].params["message_id"]

        answer = [c for c in tg.calls_of("sendMessage", chat_id=1001) if c.ok and ANSWER in c.params["text"]][0]
        assert answer.params["text"] == f"{ANSWER}\n\n{SOURCES}"
        assert answer.params["reply_parameters"]["message_id"] == asked
        # What stays in the chat is the answer: the status message is gone.
        assert [m["text"] for m in tg.messages(1001)] == [answer.params["text"]]
        assert status_id not in [m["message_id"] for m in tg.messages(1001)]
        assert research.calls == [dict(question="який курс гривні сьогодні?", persona="daarwizz", language="uk",
                                       user_id=1001, chat_id=1001, bot="main", local_only=False, crew=True)]
        assert llm.chat_requests() == [], "the search's own model calls are the research's business"

        # Stored in history like a chat answer: the next question sees both turns.
        bot.say("А вчора?")
        await bot.replies(1001, 3)
        messages = llm.chat_requests()[-1].json["messages"]
        assert {"role": "user", "content": "який курс гривні сьогодні?"} in messages
        assert any(m["role"] == "assistant" and ANSWER in m["content"] for m in messages)


async def test_search_in_english_and_in_a_group_when_addressed(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        research = use_fake(bot, FakeResearch(text="About 41.5 UAH per dollar [1].", sources=(NBU,)))
        bot.say("/search hryvnia rate today", language_code="en")
        [reply] = [t for t in await bot.replies(1001, 2) if "41.5" in t]
        assert reply.endswith("Sources:\n[1] НБУ: офіційний курс гривні — https://bank.gov.ua/ua/markets/exchangerates")

        bot.say("/search@other_bot курс", chat_id=GROUP, chat_type="supergroup", message_id=501)
        bot.say("/search@dagi_bot курс євро", chat_id=GROUP, chat_type="supergroup", message_id=502)
        await tg.wait_for(lambda: any("41.5" in t for t in tg.sent_texts(GROUP)), timeout=10)
        assert [c["question"] for c in research.calls] == ["hryvnia rate today", "курс євро"]
        answer = [c for c in tg.calls_of("sendMessage", chat_id=GROUP) if "41.5" in c.params["text"]][0]
        assert answer.params["reply_parameters"]["message_id"] == 502
        assert not tg.calls_of("sendMessageDraft", chat_id=GROUP)


async def test_a_persona_named_after_search_answers(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        research = use_fake(bot)
        bot.say("/search Helion, ціни на пелети")
        await tg.wait_for(lambda: research.calls and any(ANSWER in t for t in tg.sent_texts(1001)))
        assert research.calls[0]["persona"] == "helion" and research.calls[0]["question"] == "ціни на пелети"
        assert research.calls[0]["crew"] is True, "/search itself runs the crew"


async def test_search_off_and_on_per_chat_and_only_admins_turn_it_on_in_groups(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        research = use_fake(bot)
        bot.say("/search off")
        assert "вимкнено" in (await bot.replies(1001))[0]
        bot.say("/search новини DAARION")
        notice = (await bot.replies(1001, 2))[1]
        assert "Вебпошук у цьому чаті вимкнено" in notice and "/search on" in notice
        bot.say("/search")
        assert "вимкнено; увімкнути — /search on" in (await bot.replies(1001, 3))[2]
        bot.say("/search on")
        assert "увімкнено" in (await bot.replies(1001, 4))[3]
        assert research.calls == []

        # In a group anyone may turn it off; only an admin may turn it back on.
        bot.say("/search off", chat_id=GROUP, chat_type="supergroup", user_id=7)
        assert "вимкнено" in (await bot.replies(GROUP))[0]
        bot.say("/search on", chat_id=GROUP, chat_type="supergroup", user_id=7)
        assert "Лише адміністратори" in (await bot.replies(GROUP, 2))[1]
        tg.set_chat_member(GROUP, 8, "administrator")
        bot.say("/search on", chat_id=GROUP, chat_type="supergroup", user_id=8)
        assert "увімкнено" in (await bot.replies(GROUP, 3))[2]
        # A forum topic keeps its own switch.
        bot.say("/search off", chat_id=GROUP, chat_type="supergroup", user_id=7, thread_id=42)
        await bot.replies(GROUP, 4)
        bot.say("/search курс", chat_id=GROUP, chat_type="supergroup", user_id=7)
        await tg.wait_for(lambda: research.calls, timeout=10)


async def test_empty_and_overlong_questions_are_answered_without_searching(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        research = use_fake(bot)
        bot.say("/search")
        usage = (await bot.replies(1001))[0]
        assert usage.startswith("Напишіть питання після команди") and "/search off" in usage
        bot.say("/search " + "я" * 5000)
        refusal = (await bot.replies(1001, 2))[1]
        assert "задовге (5000 символів, максимум 1000)" in refusal
        bot.say("/search    ", language_code="en")
        assert (await bot.replies(1001, 3))[2].startswith("Write the question after the command")
        assert research.calls == [] and llm.chat_requests() == []
        assert await bot.services.store.pending() == []


async def test_help_and_the_command_menus_list_search(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        bot.say("/help")
        assert "/search питання — пошук у мережі" in (await bot.replies(1001))[0]
        await tg.wait_for(lambda: len(tg.calls_of("setMyCommands")) >= 4)  # set once the bot polls
        menus = [c.params["commands"] for c in tg.calls_of("setMyCommands") if "scope" not in c.params]
        menus = [json.loads(m) if isinstance(m, str) else m for m in menus]
        descriptions = {c["description"] for menu in menus for c in menu if c["command"] == "search"}
        assert descriptions == {"пошук у мережі з джерелами", "web search with sources"}
