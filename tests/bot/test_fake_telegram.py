"""The shipped fake Bot API (FakeTelegram) speaks Telegram's protocol well enough for aiogram."""
from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.types import MessageEntity

from bot.testing import FakeTelegram
from tests.conftest import API_TOKEN as TOKEN


async def test_telegram_send_edit_draft(tg: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == 123456 and me.username == "dagi_bot" and me.is_bot
    ent = [MessageEntity(type="bold", offset=0, length=5)]
    msg = await bot.send_message(chat_id=42, text="Hello world", entities=ent, message_thread_id=None)
    assert msg.message_id == 1 and msg.chat.id == 42 and msg.entities and msg.entities[0].type == "bold"
    assert msg.from_user and msg.from_user.id == 123456
    call = tg.calls_of("sendMessage", chat_id=42)[0]
    assert call.params["entities"] == [{"type": "bold", "offset": 0, "length": 5}]
    assert isinstance(call.params["text"], str)
    num = await bot.send_message(chat_id=42, text="12345")
    assert num.text == "12345" and tg.calls_of("sendMessage")[-1].params["text"] == "12345"
    edited = await bot.edit_message_text(text="Hello there", chat_id=42, message_id=msg.message_id)
    assert not isinstance(edited, bool) and edited.text == "Hello there" and edited.edit_date
    with pytest.raises(TelegramBadRequest, match="not modified"):
        await bot.edit_message_text(text="Hello there", chat_id=42, message_id=msg.message_id)
    assert await bot.send_message_draft(chat_id=42, draft_id=7, text="Hel")
    assert tg.calls_of("sendMessageDraft")[0].params["draft_id"] == 7
    assert tg.sent_texts(42) == ["Hello world", "12345"]
    assert [m["text"] for m in tg.messages(42)] == ["Hello there", "12345"]
    assert tg.messages(42)[0].get("entities") is None
    assert await bot.delete_message(chat_id=42, message_id=2)
    assert len(tg.messages(42)) == 1


async def test_telegram_failures(tg: FakeTelegram, bot: Bot) -> None:
    tg.fail_next("sendMessage", "429", retry_after=3)
    with pytest.raises(TelegramRetryAfter) as err:
        await bot.send_message(chat_id=1, text="x")
    assert err.value.retry_after == 3
    tg.fail_next("sendMessage", "bad_entities")
    plain = await bot.send_message(chat_id=1, text="plain passes")
    assert plain.text == "plain passes"
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(chat_id=1, text="*x", parse_mode="MarkdownV2")
    tg.fail_next("sendMessageDraft", "not_found")
    with pytest.raises(TelegramNotFound):
        await bot.send_message_draft(chat_id=1, draft_id=1, text="x")
    tg.fail_next("sendChatAction", "error")
    with pytest.raises(TelegramBadRequest):
        await bot.send_chat_action(chat_id=1, action="typing")
    assert tg.sent_texts(1) == ["plain passes"]
    stranger = Bot("999:zzz", session=AiohttpSession(api=TelegramAPIServer.from_base(tg.url)))
    with pytest.raises(TelegramUnauthorizedError):
        await stranger.get_me()
    await stranger.session.close()
    with pytest.raises(AssertionError, match="sendMessage"):
        await tg.wait_for(lambda: False, timeout=0.05)


async def test_telegram_strict_per_chat_limit(tg: FakeTelegram, bot: Bot) -> None:
    tg.chat_limit(per_second=1)
    first = await bot.send_message(chat_id=5, text="one")
    with pytest.raises(TelegramRetryAfter) as err:
        await bot.edit_message_text(text="one!", chat_id=5, message_id=first.message_id)
    assert err.value.retry_after == 1 and [c.method for c in tg.rate_limited] == ["editMessageText"]
    assert await bot.send_message(chat_id=6, text="another chat is not held")
    assert await bot.send_message_draft(chat_id=5, draft_id=1, text="drafts are not counted")
    tg._chat_windows[(TOKEN, 5)][0][0] -= 1.0  # as if the first message were a second old
    assert await bot.send_message(chat_id=5, text="two")
    tg.chat_limit(per_second=1, drafts=True)
    await bot.send_message_draft(chat_id=7, draft_id=1, text="a")
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message_draft(chat_id=7, draft_id=1, text="ab")
    tg.chat_limit(per_second=5, group_per_minute=3)
    for i in range(3):
        await bot.send_message(chat_id=-100, text=f"group {i}")
        tg._chat_windows[(TOKEN, -100)][0].clear()  # only the minute's limit is under test here
    with pytest.raises(TelegramRetryAfter) as err:
        await bot.send_message(chat_id=-100, text="a fourth in a minute")
    assert 55 <= err.value.retry_after <= 60
    tg.chat_limit(None)
    assert await bot.send_message(chat_id=5, text="off again")


async def test_telegram_updates(tg: FakeTelegram, bot: Bot) -> None:
    first = tg.send_text(TOKEN, chat_id=5, user_id=5, text="/start@dagi_bot hi")
    second = tg.send_text(
        TOKEN, chat_id=-100, user_id=5, text="@dagi_bot 🙂 @other_user?", chat_type="supergroup", thread_id=9
    )
    assert tg.pending_updates(TOKEN) == 2
    updates = await bot.get_updates()
    assert [u.update_id for u in updates] == [first, second]
    m1, m2 = updates[0].message, updates[1].message
    assert m1 and m1.text == "/start@dagi_bot hi" and m1.chat.type == "private"
    assert m1.entities and [(e.type, e.offset, e.length) for e in m1.entities] == [("bot_command", 0, 15)]
    assert m2 and m2.message_thread_id == 9 and m2.is_topic_message and m2.chat.is_forum
    assert m2.chat.title and m2.from_user and m2.from_user.language_code == "uk"
    # The emoji is two UTF-16 code units, which shifts the second mention's offset.
    assert m2.entities and [(e.type, e.offset, e.length) for e in m2.entities] == [
        ("mention", 0, 9),
        ("mention", 13, 11),
    ]
    assert await bot.get_updates(offset=second + 1) == []
    assert tg.pending_updates(TOKEN) == 0

    sent = await bot.send_message(chat_id=5, text="pick one", reply_markup={
        "inline_keyboard": [[{"text": "A", "callback_data": "a"}]]
    })
    assert sent.reply_markup and sent.reply_markup.inline_keyboard[0][0].callback_data == "a"
    reply = tg.send_text(TOKEN, chat_id=5, user_id=5, text="thanks", reply_to_bot_message=sent.message_id)
    press = tg.press_button(TOKEN, chat_id=5, user_id=5, message_id=sent.message_id, data="a")
    raw = tg.push_raw(TOKEN, {"edited_message": {
        "message_id": 1, "date": 1, "edit_date": 2, "chat": {"id": 5, "type": "private"}, "text": "edited",
    }})
    updates = await bot.get_updates(offset=reply, limit=2)
    assert [u.update_id for u in updates] == [reply, press]
    rt = updates[0].message and updates[0].message.reply_to_message
    assert rt and rt.message_id == sent.message_id and rt.text == "pick one"
    cq = updates[1].callback_query
    assert cq and cq.data == "a" and cq.message and cq.message.message_id == sent.message_id
    assert await bot.answer_callback_query(cq.id)
    updates = await bot.get_updates(offset=raw)
    assert updates[0].edited_message and updates[0].edited_message.text == "edited"


async def test_telegram_long_poll_and_files(tg: FakeTelegram, bot: Bot) -> None:
    async def later() -> None:
        await asyncio.sleep(0.1)
        tg.send_text(TOKEN, chat_id=1, user_id=1, text="wake up")

    started = time.monotonic()
    asyncio.ensure_future(later())
    updates = await bot.get_updates(timeout=5)
    assert len(updates) == 1 and time.monotonic() - started < 2
    assert await bot.delete_webhook()
    assert await bot.set_my_commands([{"command": "start", "description": "Start"}])
    assert (await bot.get_my_commands())[0].command == "start"
    tg.add_file(TOKEN, "f1", b"\x89PNG data", "photos/file_1.jpg")
    f = await bot.get_file("f1")
    assert f.file_path == "photos/file_1.jpg" and f.file_size == 9
    data = await bot.download_file(f.file_path)
    assert data is not None and data.read() == b"\x89PNG data"
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{tg.url}/bot{TOKEN}/sendMessage", json={"chat_id": 3, "text": "json"}) as r:
            body = await r.json()
        async with http.post(f"{tg.url}/bot{TOKEN}/someNewMethod", data={"x": "1"}) as r:
            assert (await r.json()) == {"ok": True, "result": True}
    assert body["ok"] and body["result"]["text"] == "json"
    assert tg.calls_of("someNewMethod")[0].params == {"x": 1}


async def test_telegram_with_dispatcher_polling(tg: FakeTelegram, bot: Bot) -> None:
    from aiogram import Dispatcher
    from aiogram.filters import CommandStart
    from aiogram.types import Message

    dp = Dispatcher()

    @dp.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer("welcome")

    @dp.message()
    async def echo(message: Message) -> None:
        await message.reply(f"got {message.text}")

    polling = asyncio.ensure_future(dp.start_polling(bot, handle_signals=False, polling_timeout=1))
    tg.send_text(TOKEN, chat_id=77, user_id=77, text="/start")
    tg.send_text(TOKEN, chat_id=77, user_id=77, text="hello")
    await tg.wait_for(lambda: len(tg.sent_texts(77)) == 2, timeout=3)
    assert tg.sent_texts(77) == ["welcome", "got hello"]
    assert tg.messages(77)[1]["reply_to_message"]["text"] == "hello"
    await dp.stop_polling()
    await asyncio.wait_for(polling, 3)
