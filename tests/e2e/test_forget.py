"""/forget as a Telegram user meets it: the counts first, one confirmation, then their data is gone for good."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, or_, select

from storage.models import KbDocument, Message, Reminder, Usage, User
from tests.e2e.test_knowledge import KB_YAML, NOTES, add_file
from tests.harness import TOKEN, running_bot

ME, OTHER, GROUP = 1001, 2002, -100777
FIRED: list[int] = []


async def fire(ops, reminder_id: int) -> None:
    """A stand-in reminder job (the reminders feature schedules `reminder:<id>` jobs like this)."""
    FIRED.append(reminder_id)


@pytest.fixture(autouse=True)
def _kb_env(monkeypatch):
    monkeypatch.setenv("KB_EMBED_DIM", "64")  # the fake's bge-m3 gives 64-dim vectors


async def rows(bot, stmt) -> list:
    return await bot.services.store.db.run(lambda c: c.execute(stmt).all())


async def said(bot, text: str, chat_id: int = ME, user_id: int = ME, **kw) -> str:
    n = len(bot.tg.sent_texts(chat_id))
    bot.say(text, chat_id=chat_id, user_id=user_id, **kw)
    return (await bot.replies(chat_id, n + 1))[-1]


async def press(bot, verb: str, *, user_id: int = ME) -> dict:
    """Press a button of the latest /forget question; returns that message as it ends up."""
    question, answered = bot.tg.messages(ME)[-1], len(bot.tg.calls_of("answerCallbackQuery"))
    asked = question["text"]
    bot.tg.press_button(TOKEN, chat_id=ME, user_id=user_id, message_id=question["message_id"],
                        data=f"forget:{verb}:{ME}")
    await bot.tg.wait_for(lambda: len(bot.tg.calls_of("answerCallbackQuery")) > answered
                          and (user_id != ME or bot.tg.messages(ME)[-1]["text"] != asked))
    return bot.tg.messages(ME)[-1]


async def test_forget_deletes_messages_uploads_reminders_and_anonymises_usage(tmp_path, tg, llm):
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=KB_YAML) as bot:
        ops = bot.services.ops
        assert (await said(bot, "Привіт, я Олена")).startswith("echo: Привіт, я Олена")
        assert "ecominer.txt" in await add_file(bot, ME, NOTES.encode(), "ecominer.txt")
        await said(bot, "@dagi_bot що таке DAO?", chat_id=GROUP, chat_type="supergroup")
        await said(bot, "@dagi_bot а ти хто?", chat_id=GROUP, user_id=OTHER, chat_type="supergroup")
        await said(bot, "Я Петро", chat_id=OTHER, user_id=OTHER)
        due = datetime.now(UTC) + timedelta(days=1)
        reminder = await bot.services.store.db.run(lambda c: c.execute(insert(Reminder).returning(Reminder.id), dict(
            bot="main", chat_id=ME, user_id=ME, text="полити квіти", due_at=due, tz="Europe/Kyiv")).scalar())
        ops.scheduler.add(fire, "date", job_id=f"reminder:{reminder}", args=(reminder,), run_date=due)
        usage_before = len(await rows(bot, select(Usage.id)))
        today_before = await ops.ledger.totals("user", ME, ops.router.usage.day())

        preview = await said(bot, "/forget")
        # Real plural forms, once "повідомлень (…): 4", "документів, …: 1", "нагадувань: 1".
        assert "4 повідомлення (ваші, відповіді на них і вся історія особистих чатів)" in preview
        assert "1 документ, який ви додали до баз знань" in preview and "1 нагадування" in preview
        buttons = tg.messages(ME)[-1]["reply_markup"]["inline_keyboard"][0]
        assert [b["text"] for b in buttons] == ["🗑 Так, видалити все", "Скасувати"]

        assert (await press(bot, "no"))["text"] == "Скасовано — нічого не видалено."
        assert len(await rows(bot, select(KbDocument.id))) == 1

        await said(bot, "/forget")
        await press(bot, "yes", user_id=OTHER)  # someone else's tap does nothing
        alert = tg.calls_of("answerCallbackQuery")[-1].params
        assert alert.get("show_alert") and "для того, хто надіслав /forget" in alert["text"]
        assert len(await rows(bot, select(KbDocument.id))) == 1

        done = (await press(bot, "yes"))["text"]
        assert done.startswith("Готово. Видалено: 4 повідомлення, 1 документ, 1 нагадування.")
        assert "анонімні лічильники" in done

        mine = or_(Message.user_id == ME, Message.chat_id == ME)
        assert await rows(bot, select(Message.id).where(mine)) == []
        assert sorted(r.text for r in await rows(bot, select(Message.text).where(Message.chat_id == GROUP))) == [
            "echo: а ти хто?", "а ти хто?"], "the other member's question and its answer stay"
        assert len(await rows(bot, select(Message.id).where(Message.chat_id == OTHER))) == 2
        assert await rows(bot, select(KbDocument.id)) == [] and await bot.services.kb.index.count() == 0
        assert await rows(bot, select(Reminder.id)) == [] and ops.scheduler.get(f"reminder:{reminder}") is None
        usage = await rows(bot, select(Usage.user_id, Usage.chat_id))
        assert len(usage) == usage_before, "usage rows are kept as anonymous counts"
        assert ME not in {u.user_id for u in usage} | {u.chat_id for u in usage}
        assert (await ops.ledger.totals("user", ME, ops.router.usage.day())).requests == today_before.requests
        assert [r.id for r in await rows(bot, select(User.id))] == [OTHER]

        # The bot still works for them, from a clean slate: nothing of before reaches the model.
        assert (await said(bot, "Як мене звати?")) == "echo: Як мене звати?"
        system, *turns = llm.chat_requests()[-1].json["messages"]
        assert turns == [{"role": "user", "content": "Як мене звати?"}]
        assert "<<<" not in system["content"] and "Гарантійний строк" not in system["content"], "no passage of theirs"


async def test_forget_in_a_group_points_to_the_private_chat(tmp_path, tg, llm):
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=KB_YAML) as bot:
        await said(bot, "@dagi_bot привіт", chat_id=GROUP, chat_type="supergroup")
        answer = await said(bot, "/forget", chat_id=GROUP, chat_type="supergroup")
        assert "особисті" in answer
        assert len(await rows(bot, select(Message.id).where(Message.chat_id == GROUP))) == 2, "nothing was deleted"


async def test_forget_speaks_english_to_english_users(tmp_path, tg, llm):
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=KB_YAML) as bot:
        await said(bot, "Hello", language_code="en")
        preview = await said(bot, "/forget", language_code="en")
        assert "Everything the bot keeps about you will be deleted" in preview and "messages" in preview
        assert tg.messages(ME)[-1]["reply_markup"]["inline_keyboard"][0][0]["text"] == "🗑 Yes, delete everything"
