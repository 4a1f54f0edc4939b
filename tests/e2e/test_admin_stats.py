"""/admin stats and the owners' daily report as admins meet them in Telegram."""
from __future__ import annotations

from datetime import UTC, datetime
from io import BytesIO

from PIL import Image
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
        assert _callbacks(tg.messages(OWNER)[-1]) == ["adm:stats:2025-06-14", "adm:stats:2025-06-16",
                                                      "adm:stats:chart:2025-06-15"]

        assert "РРРР-ММ-ДД" in await said(bot, "/admin stats 30.11.2026")

        await said(bot, "/admin")
        shown = await pressed(bot, "adm:stats")
        assert shown["text"].startswith(f"📊 Статистика за {today}") and "adm:menu" in _callbacks(shown)
        prev = [c for c in _callbacks(shown) if c.startswith("adm:stats:") and ":chart:" not in c]
        assert len(prev) == 1, "no button into the future"
        earlier = await pressed(bot, prev[0])
        assert earlier["text"].startswith(f"📊 Статистика за {prev[0].removeprefix('adm:stats:')}")


async def chart(bot, chat_id: int, data: str, language_code: str = "uk") -> dict:
    """Press 📈 under the chat's latest message; returns the photo the bot sent."""
    n = len(bot.tg.photos(chat_id))
    message = bot.tg.messages(chat_id)[-1]
    bot.tg.press_button(TOKEN, chat_id=chat_id, user_id=chat_id, message_id=message["message_id"], data=data,
                        language_code=language_code)
    await bot.tg.wait_for(lambda: len(bot.tg.photos(chat_id)) > n)
    return bot.tg.photos(chat_id)[-1]


async def test_the_chart_button_sends_two_weeks_as_a_picture_to_admins_only(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, owner_ids=[OWNER, OWNER_EN]) as bot:
        await said(bot, "Helion, що таке EcoMiner?", chat_id=USER)
        await _seed_day(bot, "2025-06-15")
        await said(bot, "/admin stats 2025-06-15")
        [button] = [c for c in _callbacks(tg.messages(OWNER)[-1]) if c.startswith("adm:stats:chart:")]

        photo = await chart(bot, OWNER, button)
        assert 10_000 < len(photo["data"]) < 500_000
        image = Image.open(BytesIO(photo["data"]))
        assert image.format == "PNG" and image.size == (photo["width"], photo["height"]) == (1000, 800)
        # the 14 days ending on the day shown: 2 answers of 3 were local that day, nothing on the 13 before it
        assert photo["caption"] == ("📈 02.06 – 15.06: 0 повідомлень, 3 відповіді моделей, з них локально 66.7 %; "
                                    "вартість $0.2500")
        assert tg.calls_of("sendChatAction", chat_id=OWNER)[-1].params["action"] == "upload_photo"

        await said(bot, "/admin stats", chat_id=OWNER_EN)  # today, with the user's message, in English
        [today] = [c for c in _callbacks(tg.messages(OWNER_EN)[-1]) if c.startswith("adm:stats:chart:")]
        photo = await chart(bot, OWNER_EN, today, language_code="en")
        assert photo["caption"].startswith("📈 ") and ": 1 message, 1 model answer, 100.0 % of them local" in photo[
            "caption"]
        assert 10_000 < len(photo["data"]) < 500_000

        # someone who is not an admin presses a copy of the button: refused, nothing drawn
        answers = len(tg.calls_of("answerCallbackQuery"))
        tg.press_button(TOKEN, chat_id=USER, user_id=USER, message_id=1, data=today)
        await tg.wait_for(lambda: len(tg.calls_of("answerCallbackQuery")) > answers)
        refusal = tg.calls_of("answerCallbackQuery")[-1].params
        assert refusal["text"] == "Ця команда лише для адміністраторів бота." and refusal["show_alert"] is True
        assert tg.photos(USER) == [] and tg.calls_of("sendPhoto", chat_id=USER) == []


async def test_without_matplotlib_the_chart_button_says_how_to_install_it(tmp_path, tg, llm, monkeypatch):
    monkeypatch.setattr("bot.handlers.admin.stats.available", lambda: False)
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, owner_ids=[OWNER]) as bot:
        await said(bot, "/admin stats")
        [button] = [c for c in _callbacks(tg.messages(OWNER)[-1]) if c.startswith("adm:stats:chart:")]
        n = len(tg.sent_texts(OWNER))
        tg.press_button(TOKEN, chat_id=OWNER, user_id=OWNER, message_id=tg.messages(OWNER)[-1]["message_id"],
                        data=button)
        [notice] = (await bot.replies(OWNER, n + 1))[n:]
        assert notice.startswith("📈 Графіки не встановлено")
        assert "pip install -c constraints.txt -e '.[charts]'" in notice
        assert tg.calls_of("sendPhoto") == []


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
