"""/search's limits as a user meets them: no extra, privacy, backends down, the deadline, quotas, usage and stats."""
from __future__ import annotations

import asyncio

from sqlalchemy import select

import agents.search
from agents.search.types import NothingFound, SearchTimeout
from bot.turn import search as search_turn
from router.errors import AllTargetsFailed
from storage.models import WebUse
from tests.e2e.search_fakes import ANSWER, STATUS, FakeResearch, use_fake
from tests.harness import running_bot
from web.errors import NoLocalBackend, SearchUnavailable

OWNER, USER, GROUP = 42, 1001, -100555


async def said(bot, text: str, chat_id: int = USER, user_id: int | None = None, **kw) -> str:
    """Send `text`, return the next final message in the chat (status lines skipped)."""
    before = len(bot.tg.sent_texts(chat_id))
    bot.say(text, chat_id=chat_id, user_id=user_id or chat_id, **kw)

    def answered() -> list[str]:
        return [t for t in bot.tg.sent_texts(chat_id)[before:] if not STATUS.fullmatch(t)]
    await bot.tg.wait_for(lambda: bool(answered()), timeout=15)
    return answered()[0]


async def web_rows(bot) -> list:
    await bot.services.search_use.flush()
    return await bot.services.store.db.run(lambda c: c.execute(select(WebUse).order_by(WebUse.id)).all())


async def test_without_the_search_extra_search_says_how_to_install_it(tmp_path, tg, llm, monkeypatch):
    monkeypatch.setattr(agents.search, "available", lambda: False)
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        research = use_fake(bot)
        assert "pip install -e '.[search]'" in await said(bot, "/search курс гривні")
        assert research.calls == [] and await web_rows(bot) == []


async def test_a_local_only_chat_searches_only_through_a_local_engine(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        research = use_fake(bot, has_local=False)
        await said(bot, "/privacy local")
        notice = await said(bot, "/search курс гривні")
        assert "вебпошук тут вимкнено" in notice and "Нічого не надіслано" in notice
        assert research.calls == [] and await web_rows(bot) == []

        use_fake(bot, research, has_local=True)  # a self-hosted SearXNG marked local
        assert ANSWER in await said(bot, "/search курс гривні")
        assert research.calls[-1]["local_only"] is True

        research.error = NoLocalBackend()  # the engine's own check, should the stack's answer be stale
        assert "Нічого не надіслано" in await said(bot, "/search ще раз")


async def test_every_backend_down_nothing_found_and_a_failed_model_are_clear_messages(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        research = use_fake(bot, FakeResearch(error=SearchUnavailable(())))
        assert "Пошукові сервіси зараз не відповідають" in await said(bot, "/search курс")
        research.error = NothingFound("no hits")
        assert "не знайшов у мережі" in await said(bot, "/search курс")
        research.error = AllTargetsFailed("no model", errors=[])
        assert "модель зараз недоступна" in await said(bot, "/search курс")
        for _ in range(100):  # the notice goes out just before the message is marked
            statuses = await bot.services.store.db.run(
                lambda c: c.exec_driver_sql("select status from messages where role = 'user'").scalars().all())
            if "pending" not in statuses:
                break
            await asyncio.sleep(0.05)
        assert statuses == ["failed"] * 3, "told once, never retried after a restart"
        assert [r for r in await web_rows(bot) if r.kind == "question"] == [], "a search that failed is free"
        assert "0 пошуків" in await said(bot, "/usage")
        assert await said(bot, "/whoami"), "the bot is alive"


async def test_the_deadline_gives_a_marked_partial_answer_or_a_clear_message(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, search_deadline=30) as bot:
        research = use_fake(bot, FakeResearch(partial=True, sources=FakeResearch().sources[:1]))
        answer = await said(bot, "/search що нового в місті")
        assert answer.startswith(ANSWER + "\n\n⚠️ Часткова відповідь: пошук не вклався в 30 с")
        assert answer.endswith("Джерела:\n[1] НБУ: офіційний курс гривні — https://bank.gov.ua/ua/markets/exchangerates")

        research.partial, research.error = False, SearchTimeout("nothing read in time")
        assert "Пошук не вклався в 30 с" in await said(bot, "/search що нового в місті")

        # A research that overruns its own deadline is stopped by the turn, and the user told.
        turn = bot.services.conversations.search
        turn.deadline = 0.3
        monkeypatch.setattr(search_turn, "GRACE", 0.2)
        research.error, research.hang = None, True
        assert "Пошук не вклався в 0 с" in await said(bot, "/search що нового в місті")
        assert tg.calls_of("deleteMessage", chat_id=USER), "the status line went with the notice"


async def test_daily_search_quota_per_user_and_group_with_admin_overrides(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, owner_ids=[OWNER],
                           search_user_daily=1, search_group_daily=2) as bot:
        research = use_fake(bot)
        assert ANSWER in await said(bot, "/search курс")
        notice = await said(bot, "/search курс євро")
        assert "Ваш денний ліміт вебпошуку вичерпано: 1 з 1 пошуку" in notice and "00:00 (Europe/Kyiv)" in notice
        assert len(research.calls) == 1

        assert "Ліміт вебпошуку для" in await said(bot, f"/admin quota search user {USER} 3", chat_id=OWNER)
        assert ANSWER in await said(bot, "/search курс євро")
        report = await said(bot, "/usage")
        assert "🔎 Вебпошук: 2 пошуки (ліміт — 3 пошуки на день), 4 сторінки прочитано" in report

        # A group's own quota: two searches a day, whoever asks.
        for user in (7, 8):
            assert ANSWER in await said(bot, "/search курс", chat_id=GROUP, user_id=user, chat_type="supergroup")
        notice = await said(bot, "/search курс", chat_id=GROUP, user_id=9, chat_type="supergroup")
        assert "Денний ліміт вебпошуку цієї групи вичерпано: 2 з 2 пошуків" in notice
        await said(bot, f"/admin quota search chat {GROUP} 0", chat_id=OWNER)
        assert ANSWER in await said(bot, "/search курс", chat_id=GROUP, user_id=9, chat_type="supergroup")
        assert "знову діє ліміт вебпошуку" in await said(bot, f"/admin quota search user {USER} reset", chat_id=OWNER)
        assert "вичерпано" in await said(bot, "/search ще")


async def test_usage_rows_for_every_search_and_page_read_and_admin_stats(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, owner_ids=[OWNER]) as bot:
        use_fake(bot)
        await said(bot, "/search курс гривні")
        rows = await web_rows(bot)
        assert [(r.kind, r.backend, r.ok) for r in rows if r.kind != "question"] == [
            ("search", "searxng", True), ("read", "bank.gov.ua", True),
            ("read", "minfin.com.ua", True), ("read", "127.0.0.1", False)]
        assert [(r.kind, r.backend) for r in rows if r.kind == "question"] == [("question", "command")]
        assert {(r.user_id, r.chat_id, r.bot, r.agent) for r in rows} == {(USER, USER, "main", "daarwizz")}
        assert "1 пошук (ліміт — 20 пошуків на день), 2 сторінки прочитано" in await said(bot, "/usage")
        assert "(limit: 20 searches a day), 2 pages read" in await said(bot, "/usage", language_code="en")
        stats = await said(bot, "/admin stats", chat_id=OWNER)
        assert ("🔎 Вебпошук: 1 питання, 1 запит до пошуковиків (0 невдалих), 3 сторінки (1 відмова)" in stats
                and "  • searxng: 1 / 0" in stats)


async def test_personas_with_the_tool_search_on_their_own_only_when_a_question_needs_it(
        tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, search_auto=True) as bot:
        research = use_fake(bot)
        answer = await said(bot, "Який курс гривні сьогодні?")
        assert answer.startswith(ANSWER) and "Джерела:\n[1]" in answer
        assert research.calls[-1]["persona"] == "daarwizz" and llm.chat_requests() == []
        assert research.calls[-1]["crew"] is False, "a chat turn's own search takes the plain path, not the crew"
        assert [r.backend for r in await web_rows(bot) if r.kind == "question"] == ["auto"]

        assert await said(bot, "Що таке microDAO?") == "echo: Що таке microDAO?"
        assert len(research.calls) == 1

        # GREENFOOD has no web_search tool: it answers from what it knows.
        assert await said(bot, "GREENFOOD, які новини про ціни на сир сьогодні?") == \
            "echo: які новини про ціни на сир сьогодні?"
        # Off in this chat: a normal answer, nothing searched.
        await said(bot, "/search off")
        assert await said(bot, "Які новини сьогодні?") == "echo: Які новини сьогодні?"
        await said(bot, "/search on")
        # The web failing is no reason to stay silent: the persona answers from what it knows.
        research.error = SearchUnavailable(())
        assert await said(bot, "Які новини сьогодні?") == "echo: Які новини сьогодні?"
        assert len(research.calls) == 2
        assert tg.calls_of("deleteMessage", chat_id=USER), "no stale status line above the answer"


async def test_a_search_in_flight_when_the_bot_stops_is_answered_after_the_restart(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        stuck = use_fake(bot, FakeResearch(hang=True))
        bot.say("/search курс гривні", message_id=700)
        await asyncio.wait_for(stuck.started.wait(), 10)
    # The process "died" mid-search: the question is still pending.
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        research = use_fake(bot)
        await tg.wait_for(lambda: any(ANSWER in t for t in tg.sent_texts(USER)), timeout=15)
        answer = [c for c in tg.calls_of("sendMessage", chat_id=USER) if ANSWER in c.params["text"]]
        assert len(answer) == 1 and answer[0].params["reply_parameters"]["message_id"] == 700
        assert research.calls[0]["question"] == "курс гривні"
        for _ in range(100):  # the fake records the answer before the bot has its reply and marks the question done
            if not await bot.services.store.pending():
                break
            await asyncio.sleep(0.05)
        assert await bot.services.store.pending() == []
