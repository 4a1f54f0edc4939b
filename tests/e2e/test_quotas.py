"""Quotas, usage and privacy as a Telegram user meets them: told clearly, nothing sent to a model."""
from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from router.testing import FakeLLM
from storage.models import Usage
from tests.harness import ROUTER_YAML, running_bot

ROOT = Path(__file__).resolve().parents[2]
LIMITED = ROUTER_YAML + "quotas: {timezone: Europe/Kyiv, user: {requests: 2}, group: {tokens: 0}}\n"


async def usage_rows(bot) -> list:
    return await bot.services.ledger.db.run(lambda c: c.execute(select(Usage).order_by(Usage.id)).all())


async def test_a_user_over_the_daily_quota_is_told_how_much_and_when_it_resets(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, router_yaml=LIMITED) as bot:
        for i in range(2):
            bot.say(f"питання {i}")
            await bot.replies(1001, i + 1)
        bot.say("третє питання")
        texts = await bot.replies(1001, 3)
        assert texts[:2] == ["echo: питання 0", "echo: питання 1"]
        notice = texts[2]
        # Real plural forms ("2 запити") where the notice once dodged them ("запитів: 2").
        assert "ліміт" in notice and "2 запити" in notice and "00:00 (Europe/Kyiv)" in notice and "/usage" in notice
        assert len(llm.chat_requests()) == 2, "nothing was sent to a model"
        bot.say("/usage")
        report = (await bot.replies(1001, 4))[3]
        assert "Ваше використання сьогодні" in report
        assert re.search(r"DAARWIZZ — 2 запити, \d+ токен(ів|и)?\b", report)
        assert "Денний ліміт: 2 запити" in report


async def test_usage_is_reported_in_english_per_agent(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        bot.say("/usage", language_code="en")
        [empty] = await bot.replies(1001)
        assert "nothing yet" in empty
        bot.say("Helion, what is EcoMiner?", language_code="en")
        await bot.replies(1001, 2)
        bot.say("/usage", language_code="en")
        report = (await bot.replies(1001, 3))[2]
        assert re.search(r"Helion — 1 request, [1-9]\d* tokens?\b", report)
        assert "Daily limit: no limit" in report


async def test_usage_rows_record_the_fallback_and_the_answer(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        llm.fail("500")
        bot.say("Привіт")
        await bot.replies(1001)
        rows = await usage_rows(bot)
        assert [(r.provider, r.outcome) for r in rows] == [("ollama", "unavailable"), ("backup", "ok")]
        assert all(r.user_id == 1001 and r.chat_id == 1001 and r.agent == "daarwizz" for r in rows)


async def test_a_local_only_agent_with_only_cloud_models_up_sends_nothing_out(tmp_path, tg, llm, monkeypatch):
    agents = (ROOT / "config" / "agents.yaml").read_text().replace("local_only: false", "local_only: true")
    (tmp_path / "agents.yaml").write_text(agents)
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, ollama_url=FakeLLM.refusing_url(),
                           agents_file=tmp_path / "agents.yaml") as bot:
        bot.say("Таємне питання")
        [notice] = await bot.replies(1001)
        assert "лише з локальними моделями" in notice and "Назовні нічого не надіслано" in notice
        assert llm.chat_requests() == [], "the cloud backup never saw the message"
