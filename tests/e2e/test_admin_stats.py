"""/admin stats and the owners' daily report as admins meet them in Telegram."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert

from ops.report import daily_report
from storage.models import ProviderEvent
from storage.records import UsageRow
from tests.harness import TOKEN, running_bot

OWNER, OWNER_EN, USER = 42, 43, 1001
MORNING = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)  # 09:00 in Kyiv: the report covers 2026-11-30


async def said(bot, text: str, chat_id: int = OWNER, **kw) -> str:
    n = len(bot.tg.sent_texts(chat_id))
    bot.say(text, chat_id=chat_id, user_id=chat_id, **kw)
    return (await bot.replies(chat_id, n + 1))[-1]


async def pressed(bot, data: str) -> dict:
    """Press a button under the owner's latest message; returns that message once it changed."""
    message = bot.tg.messages(OWNER)[-1]
    before = message["text"]
    bot.tg.press_button(TOKEN, chat_id=OWNER, user_id=OWNER, message_id=message["message_id"], data=data)
    await bot.tg.wait_for(lambda: bot.tg.messages(OWNER)[-1]["text"] != before)
    return bot.tg.messages(OWNER)[-1]


def _callbacks(message: dict) -> list[str]:
    return [b["callback_data"] for row in message.get("reply_markup", {}).get("inline_keyboard", []) for b in row]


async def _seed_day(bot, day: str) -> None:
    """Model calls on `day`: ollama answers twice, backup fails twice (unavailable, timeout) and answers once."""
    at = datetime.fromisoformat(day).replace(hour=10, tzinfo=UTC)
    rows = [("ollama", "qwen3:8b", "ok", 200.0, 0.0), ("ollama", "qwen3:8b", "ok", 400.0, 0.0),
            ("backup", "gpt-4o-mini", "unavailable", 5.0, 0.0), ("backup", "gpt-4o-mini", "timeout", 3000.0, 0.0),
            ("backup", "gpt-4o-mini", "ok", 1000.0, 0.25)]
    for provider, model, outcome, latency, cost in rows:
        await bot.services.ledger.record(UsageRow(at=at, day=day, provider=provider, model=model, outcome=outcome,
                                                  user_id=USER, chat_id=USER, agent="helion", tokens_in=100,
                                                  tokens_out=50 if outcome == "ok" else 0, cost=cost,
                                                  latency_ms=latency))


async def test_admin_stats_today_a_given_day_and_from_the_panel(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, owner_ids=[OWNER]) as bot:
        ops = bot.services.ops
        await said(bot, "Helion, що таке EcoMiner?", chat_id=USER)
        today = ops.router.usage.day()
        text = await said(bot, "/admin stats")
        assert text.startswith(f"📊 Статистика за {today} (Europe/Kyiv)")
        assert "✉️ Повідомлення: 1 за день, 1 за 7 днів" in text and "⚡ Helion: 1 / 1" in text
        assert "ollama:qwen3:8b 🏠: 1 відповідь, 0 помилок" in text and "🏠 Локально: 100.0 % відповідей" in text

        await _seed_day(bot, "2025-06-15")
        text = await said(bot, "/admin stats 2025-06-15")
        assert "Виклики моделей: 3 відповіді, 2 помилки (40.0 %)" in text  # real plurals, once "відповідей 3"
        assert "backup:gpt-4o-mini: 1 відповідь, 2 помилки, токени 300 → 50, $0.2500" in text
        assert "🏠 Локально: 66.7 % відповідей" in text and "p50 400 мс, p95 940 мс" in text
        assert _callbacks(tg.messages(OWNER)[-1]) == ["adm:stats:2025-06-14", "adm:stats:2025-06-16"]

        assert "РРРР-ММ-ДД" in await said(bot, "/admin stats 30.11.2026")

        await said(bot, "/admin")
        shown = await pressed(bot, "adm:stats")
        assert shown["text"].startswith(f"📊 Статистика за {today}") and "adm:menu" in _callbacks(shown)
        prev = [c for c in _callbacks(shown) if c.startswith("adm:stats:")]
        assert len(prev) == 1, "no button into the future"
        earlier = await pressed(bot, prev[0])
        assert earlier["text"].startswith(f"📊 Статистика за {prev[0].removeprefix('adm:stats:')}")


async def test_daily_report_reaches_every_owner_in_their_language_with_outages(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, owner_ids=[OWNER, OWNER_EN]) as bot:
        ops = bot.services.ops
        ops.now = lambda: MORNING
        await tg.wait_for(lambda: ops.notifier is not None)  # set once the bots are up
        await bot.services.store.save_user(OWNER_EN, "boss", "Boss", "en-GB")
        await _seed_day(bot, "2026-11-30")
        await _seed_day(bot, "2026-12-01")  # today's calls are not yesterday's report
        await bot.services.store.db.run(lambda c: c.execute(insert(ProviderEvent), [
            dict(at=datetime(2026, 11, 30, 10, tzinfo=UTC), provider="backup", healthy=False),
            dict(at=datetime(2026, 11, 30, 10, 5, tzinfo=UTC), provider="backup", healthy=True),
            dict(at=datetime(2026, 11, 29, 12, tzinfo=UTC), provider="gpu", healthy=False),  # still down
            dict(at=datetime(2026, 11, 29, 12, tzinfo=UTC), provider="groq", healthy=False),
            dict(at=datetime(2026, 11, 29, 13, tzinfo=UTC), provider="groq", healthy=True),  # back before
        ]))

        await daily_report(ops)

        [uk] = tg.sent_texts(OWNER)
        assert uk.startswith("🗓 Щоденний звіт DAGI\n📊 Статистика за 2026-11-30 (Europe/Kyiv)")
        assert "Виклики моделей: 3 відповіді, 2 помилки (40.0 %)" in uk
        assert "⚠️ Були недоступні:\n  • backup: 1 падіння, 2 невдалі виклики\n  • gpu: 0 падінь" in uk
        assert "groq" not in uk and "ollama:" in uk and "  • ollama:" not in uk.split("Були недоступні")[1]
        [en] = tg.sent_texts(OWNER_EN)
        assert en.startswith("🗓 DAGI daily report\n📊 Stats for 2026-11-30")
        assert "  • backup: 1 outage, 2 failed calls" in en


async def test_no_owners_no_report(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        bot.services.ops.now = lambda: MORNING
        await tg.wait_for(lambda: bot.services.ops.notifier is not None)
        await _seed_day(bot, "2026-11-30")
        await daily_report(bot.services.ops)
        assert tg.calls_of("sendMessage") == []
