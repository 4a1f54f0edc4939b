"""Broadcasts as an admin runs them: preview, confirm, progress, final counts; blocked users marked and skipped."""
from __future__ import annotations

from sqlalchemy import insert, select

from storage.models import AuditEntry, Chat, User
from tests.harness import TOKEN, running_bot

OWNER, MEMBER, ADMIN = 42, 1001, 43
TEXT = "Завтра о 10:00 оновлення бота.\nДякуємо, що ви з нами!"


async def seed(bot, ids: list[int], helion: set[int] = frozenset()) -> None:
    """Users with private chats, written straight to the database (a real bot would have met them one by one)."""
    def work(c) -> None:
        c.execute(insert(User), [dict(id=i, first_name=f"User {i}", language="uk") for i in ids])
        c.execute(insert(Chat), [dict(bot="main", chat_id=i, thread_id=0, chat_type="private", conversation=1,
                                      agent="helion" if i in helion else None) for i in ids])
    await bot.services.store.db.run(work)


def buttons(tg, chat_id: int) -> dict[str, str]:
    """Text → callback data of the buttons under the bot's last message in the chat."""
    markup = tg.messages(chat_id)[-1].get("reply_markup") or {"inline_keyboard": []}
    return {b["text"]: b["callback_data"] for row in markup["inline_keyboard"] for b in row}


async def confirm(bot, n: int) -> None:
    """Press the preview's "Send N" button as the owner."""
    preview = bot.tg.messages(OWNER)[-1]
    data = buttons(bot.tg, OWNER)[f"✅ Надіслати {n}"]
    bot.tg.press_button(TOKEN, chat_id=OWNER, user_id=OWNER, message_id=preview["message_id"], data=data)


async def test_a_broadcast_to_300_users_keeps_telegrams_pace_and_counts_who_blocked_the_bot(tmp_path, tg, llm,
                                                                                            monkeypatch):
    ids = list(range(5000, 5300))
    blocked = set(ids[5::43])  # 7 users blocked the bot
    helion = set(ids[-17:]) | set(sorted(blocked)[:3])  # 20 talk to Helion, 3 of them among the blocked
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, owner_ids=[OWNER],
                           broadcast_rate=30) as bot:
        await seed(bot, ids, helion)
        for i in blocked:
            tg.block(i)
        tg.rate_limit(per_second=30)
        bot.say(f"/admin broadcast all {TEXT}", user_id=OWNER, chat_id=OWNER)
        [preview] = await bot.replies(OWNER)
        assert "300" in preview and TEXT in preview
        assert set(buttons(tg, OWNER)) == {"✅ Надіслати 300", "✖️ Скасувати"}
        await confirm(bot, 300)
        texts = await bot.replies(OWNER, 2, timeout=40)
        assert "доставлено 293 з 300 · заблокували 7 · 0 помилок" in texts[1]  # a real plural, once "помилок 0"
        progress = tg.messages(OWNER)[0]
        assert progress["text"] == "✅ Розсилка: 300/300 · доставлено 293 · заблокували 7 · 0 помилок"
        assert buttons(tg, OWNER) == {}, "no stop button once it is over"
        edits = [c.params["text"] for c in tg.calls_of("editMessageText", chat_id=OWNER)]
        assert any(e.startswith("Розсилка: ") and "/300" in e and not e.startswith("Розсилка: 300/") for e in edits)

        assert tg.rate_limited == [], "Telegram never had to say 'too many requests'"
        for i in ids:
            assert tg.sent_texts(i) == ([] if i in blocked else [TEXT])
        marked = await bot.services.store.db.run(
            lambda c: set(c.execute(select(User.id).where(User.blocked.is_(True))).scalars()))
        assert marked == blocked
        audit = await bot.services.store.db.run(lambda c: c.execute(
            select(AuditEntry.user_id, AuditEntry.detail).where(AuditEntry.action == "broadcast")).all())
        assert [tuple(a) for a in audit] == [(OWNER, "all: 300/300, delivered 293, blocked 7, failed 0")]

        bot.say("/admin broadcast agent:helion Нова функція Helion", user_id=OWNER, chat_id=OWNER)
        assert "17" in (await bot.replies(OWNER, 3))[2], "20 Helion users, 3 of them blocked the bot"
        tried = len(tg.calls_of("sendMessage"))
        await confirm(bot, 17)
        done = (await bot.replies(OWNER, 4, timeout=20))[3]
        assert "доставлено 17 з 17 · заблокували 0" in done
        second = [c.params["chat_id"] for c in tg.calls_of("sendMessage")[tried:] if c.params["chat_id"] != OWNER]
        assert sorted(second) == sorted(helion - blocked), "the blocked users were not tried again"
        assert tg.rate_limited == []


async def test_a_member_cannot_broadcast(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, owner_ids=[OWNER]) as bot:
        await seed(bot, [MEMBER, 2002, 2003])
        bot.say("/admin broadcast all hi", user_id=MEMBER, chat_id=MEMBER)
        [refusal] = await bot.replies(MEMBER)
        assert "лише для адміністраторів" in refusal
        bot.say("/whoami", user_id=MEMBER, chat_id=MEMBER)  # a later update: the refusal was all that happened
        await bot.replies(MEMBER, 2)
        assert [c.params["chat_id"] for c in tg.calls_of("sendMessage")] == [MEMBER, MEMBER]


async def test_only_the_preparing_admin_sends_a_preview_and_cancel_sends_nothing(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, owner_ids=[OWNER, ADMIN]) as bot:
        await seed(bot, [2001, 2002])
        bot.say("/admin broadcast", user_id=OWNER, chat_id=OWNER, language_code="en")
        assert "/admin broadcast agent:helion TEXT" in (await bot.replies(OWNER))[0]
        bot.say("/admin broadcast everyone hi", user_id=OWNER, chat_id=OWNER)
        assert "Не знаю, кому це" in (await bot.replies(OWNER, 2))[1]
        bot.say("/admin broadcast users Привіт", user_id=OWNER, chat_id=OWNER)
        await bot.replies(OWNER, 3)
        preview = tg.messages(OWNER)[-1]
        send, cancel = buttons(tg, OWNER)["✅ Надіслати 2"], buttons(tg, OWNER)["✖️ Скасувати"]
        tg.press_button(TOKEN, chat_id=OWNER, user_id=ADMIN, message_id=preview["message_id"], data=send)
        await tg.wait_for(lambda: tg.calls_of("answerCallbackQuery"))
        assert "лише адміністратор, який її підготував" in tg.calls_of("answerCallbackQuery")[0].params["text"]
        tg.press_button(TOKEN, chat_id=OWNER, user_id=OWNER, message_id=preview["message_id"], data=cancel)
        await tg.wait_for(lambda: tg.messages(OWNER)[-1]["text"].startswith("Розсилку скасовано"))
        tg.press_button(TOKEN, chat_id=OWNER, user_id=OWNER, message_id=preview["message_id"], data=send)
        await tg.wait_for(lambda: len(tg.calls_of("answerCallbackQuery")) == 3)
        assert "вже неактуальна" in tg.calls_of("answerCallbackQuery")[2].params["text"]
        assert tg.sent_texts(2001) == [] and tg.sent_texts(2002) == []


async def test_stop_ends_a_running_broadcast(tmp_path, tg, llm, monkeypatch):
    ids = list(range(3000, 3100))
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, owner_ids=[OWNER],
                           broadcast_rate=20) as bot:
        await seed(bot, ids)
        bot.say("/admin broadcast users Тест", user_id=OWNER, chat_id=OWNER)
        await bot.replies(OWNER)
        await confirm(bot, 100)
        await tg.wait_for(lambda: "⏹ Стоп" in buttons(tg, OWNER))
        await tg.wait_for(lambda: sum(len(tg.sent_texts(i)) for i in ids) >= 5)
        progress = tg.messages(OWNER)[-1]
        tg.press_button(TOKEN, chat_id=OWNER, user_id=OWNER, message_id=progress["message_id"],
                        data=buttons(tg, OWNER)["⏹ Стоп"])
        stopped = (await bot.replies(OWNER, 2))[1]
        assert stopped.startswith("Розсилку зупинено") and "з 100" in stopped
        sent = sum(len(tg.sent_texts(i)) for i in ids)
        assert 5 <= sent < 100 and f"оброблено {sent} з 100" in stopped


async def test_a_long_emoji_text_still_gets_a_preview_within_telegrams_limit(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, owner_ids=[OWNER]) as bot:
        await seed(bot, [2001])
        bot.say("/admin broadcast users " + "🌻" * 2040, user_id=OWNER, chat_id=OWNER)  # 4080 UTF-16 units
        [preview] = await bot.replies(OWNER)
        assert "🌻…" in preview and preview.count("🌻") < 2040, "quoted in part, so the preview fits one message"
        assert "✅ Надіслати 1" in buttons(tg, OWNER)
