"""Reminders as a Telegram user meets them: set, listed, deleted, delivered on time, after a restart, and once."""
from __future__ import annotations

import asyncio
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from storage.models import Reminder
from tests.harness import TOKEN, running_bot

FIRED = "⏰ Нагадування: "


def fired(tg, chat_id: int) -> list[str]:
    return [text for text in tg.sent_texts(chat_id) if text.startswith(FIRED)]


def list_message(tg, chat_id: int) -> dict:
    """The latest bot message in the chat that carries ❌ buttons."""
    return [m for m in tg.messages(chat_id) if "reply_markup" in m][-1]


def buttons(message: dict) -> dict[str, str]:
    return {b["text"]: b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row}


async def set_reminder(bot, text: str, **kw) -> str:
    """Send /remind and return the confirmation, once the update is confirmed (so a restart never repeats it)."""
    chat_id = kw.get("chat_id", 1001)
    before = len(bot.tg.sent_texts(chat_id))
    bot.say(text, **kw)
    confirmation = (await bot.replies(chat_id, before + 1))[before]
    await bot.tg.wait_for(lambda: bot.tg.pending_updates(TOKEN) == 0)
    return confirmation


async def test_a_reminder_arrives_in_its_chat_when_due(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        loop = asyncio.get_running_loop()
        start = loop.time()
        confirmation = await set_reminder(bot, "/remind in 2s call the supplier")
        assert re.match(r"⏰ Нагадаю (сьогодні|завтра) о \d\d:\d\d \(Europe/Kyiv\): call the supplier$", confirmation)
        await tg.wait_for(lambda: fired(tg, 1001), timeout=8)
        assert loop.time() - start >= 1.9, "not before it was due"
        assert fired(tg, 1001) == [FIRED + "call the supplier"], "on time: no late note"
        assert not llm.chat_requests(), "a command, not a question for a model"


async def test_a_reminder_set_in_a_forum_topic_comes_back_to_that_topic(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        await set_reminder(bot, "/remind@dagi_bot in 1s standup", chat_id=-100500, chat_type="supergroup",
                           thread_id=7, language_code="en")
        await tg.wait_for(lambda: any(t.startswith("⏰ Reminder: ") for t in tg.sent_texts(-100500)), timeout=8)
        [call] = [c for c in tg.calls_of("sendMessage", chat_id=-100500) if c.params["text"].startswith("⏰ Reminder")]
        assert call.params["text"] == "⏰ Reminder: standup" and call.params["message_thread_id"] == 7


async def test_the_list_shows_reminders_soonest_first_and_a_button_deletes_one(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        await set_reminder(bot, "/remind in 1h order flour")
        await set_reminder(bot, "/remind in 2s call the supplier")
        bot.say("/reminders")
        await bot.replies(1001, 3)
        listing = list_message(tg, 1001)
        lines = listing["text"].splitlines()
        assert "Europe/Kyiv" in lines[0]
        assert re.match(r"1\. (сьогодні|завтра) о \d\d:\d\d — call the supplier$", lines[1])
        assert lines[2].startswith("2. ") and lines[2].endswith("order flour")
        assert list(buttons(listing)) == ["❌ 1", "❌ 2"]
        tg.press_button(TOKEN, chat_id=1001, user_id=1001, message_id=listing["message_id"],
                        data=buttons(listing)["❌ 1"])
        await tg.wait_for(lambda: "call the supplier" not in list_message(tg, 1001)["text"])
        edited = list_message(tg, 1001)
        assert "order flour" in edited["text"] and list(buttons(edited)) == ["❌ 1"]
        await asyncio.sleep(3)  # past the deleted reminder's time
        assert fired(tg, 1001) == [], "a deleted reminder never fires"


async def test_someone_elses_forged_button_cannot_delete(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        await set_reminder(bot, "/remind in 3s call the supplier")
        bot.say("/reminders")
        await bot.replies(1001, 2)
        listing = list_message(tg, 1001)
        tg.press_button(TOKEN, chat_id=1001, user_id=2002, message_id=listing["message_id"],
                        data=buttons(listing)["❌ 1"])
        await tg.wait_for(lambda: tg.calls_of("answerCallbackQuery"))
        [answer] = tg.calls_of("answerCallbackQuery")
        assert "не ваше нагадування" in answer.params["text"] and answer.params.get("show_alert") is True
        await tg.wait_for(lambda: fired(tg, 1001), timeout=8)
        assert fired(tg, 1001) == [FIRED + "call the supplier"]
        assert "call the supplier" in list_message(tg, 1001)["text"], "the owner's list was not touched"


async def test_a_reminder_survives_a_restart_and_fires_once(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        await set_reminder(bot, "/remind in 4s call the supplier")
    assert fired(tg, 1001) == []
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        await tg.wait_for(lambda: fired(tg, 1001), timeout=8)
        await asyncio.sleep(0.5)
        assert fired(tg, 1001) == [FIRED + "call the supplier"]


async def test_a_reminder_whose_job_was_lost_is_rescheduled_at_start(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        await set_reminder(bot, "/remind in 3s call the supplier")
    with sqlite3.connect(tmp_path / "dagi.db") as db:  # the job table is wiped; the reminder row stays
        assert db.execute("DELETE FROM apscheduler_jobs WHERE id LIKE 'reminder:%'").rowcount == 1
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        await tg.wait_for(lambda: fired(tg, 1001), timeout=8)
        assert fired(tg, 1001) == [FIRED + "call the supplier"]


async def test_a_reminder_missed_while_down_fires_once_at_start_with_a_note(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        await set_reminder(bot, "/remind in 1s call the supplier")
        bot.services.ops.scheduler.stop()  # the bot goes down before it is due…
    await asyncio.sleep(1.5)
    assert fired(tg, 1001) == []
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        # …for what the clock says were several minutes.
        bot.services.ops.now = lambda: datetime.now(UTC) + timedelta(minutes=5)
        await tg.wait_for(lambda: fired(tg, 1001), timeout=8)
        await asyncio.sleep(0.5)
        [sent] = fired(tg, 1001)
        assert re.match(FIRED + r"call the supplier\n\(із запізненням: мало прийти (сьогодні|вчора) о \d\d:\d\d "
                        r"— бот був недоступний\)$", sent)


async def test_time_zone_is_shown_set_and_used_for_new_reminders(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        bot.say("/tz")
        assert "Europe/Kyiv" in (await bot.replies(1001, 1))[0]
        bot.say("/tz Mars/Olympus")
        assert "Не знаю часового поясу «Mars/Olympus»" in (await bot.replies(1001, 2))[1]
        bot.say("/tz warsaw")
        assert "Europe/Warsaw" in (await bot.replies(1001, 3))[2]
        bot.say("/remind 18:30 call the supplier")
        confirmation = (await bot.replies(1001, 4))[3]
        assert "о 18:30 (Europe/Warsaw): call the supplier" in confirmation
        [due] = await bot.services.store.db.run(lambda c: c.execute(select(Reminder.due_at)).scalars().all())
        assert due.replace(tzinfo=UTC).astimezone(ZoneInfo("Europe/Warsaw")).strftime("%H:%M") == "18:30"


async def test_wrong_input_is_answered_with_an_example(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        for n, (text, expected) in enumerate([
            ("/remind", "/remind 18:30 подзвонити постачальнику"),
            ("/remind call the supplier", "Не зрозумів, коли нагадати"),
            ("/remind 25:61 call", "Такої дати чи часу немає"),
            ("/remind in 2h", "Допишіть текст після часу"),
            ("/remind in 400 days call", "не пізніше ніж через рік"),
            ("/reminders", "Нагадувань немає"),
        ], 1):
            bot.say(text)
            assert expected in (await bot.replies(1001, n))[n - 1], text
        bot.say("/remind tomorrow call", language_code="en")
        assert "Put the time first" in (await bot.replies(1001, 7))[6]


async def test_a_replica_without_a_scheduler_still_saves_the_reminder(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, scheduler=False) as bot:
        bot.say("/remind in 1h call the supplier")
        saved = (await bot.replies(1001))[0]
        assert re.match(r"✅ Нагадування збережено — прийде (сьогодні|завтра) о \d\d:\d\d \(Europe/Kyiv\): call", saved)
        [status] = await bot.services.store.db.run(lambda c: c.execute(select(Reminder.status)).scalars().all())
        assert status == "pending"
