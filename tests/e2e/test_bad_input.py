"""Odd input end to end: empty mentions, huge texts, emoji, stickers, edits, channel posts, other bots."""
from __future__ import annotations

import logging
import time

import pytest

from bot.testing import FakeTelegram
from tests.harness import TOKEN, running_bot

GROUP = -100123
INTERNAL_ERROR = "Щось пішло не так"


def user(user_id: int = 1001, *, is_bot: bool = False) -> dict:
    return {"id": user_id, "is_bot": is_bot, "first_name": "Olena", "language_code": "uk"}


def sticker_message(message_id: int, chat: dict, from_user: dict) -> dict:
    return {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": chat,
        "from": from_user,
        "sticker": {"file_id": "CAACAgIAAxkBAAIBb2ZfakeStickerId", "file_unique_id": "AgADfake", "type": "regular",
                    "width": 512, "height": 512, "is_animated": False, "is_video": False, "emoji": "🙂"},
    }


def all_texts(tg: FakeTelegram) -> list[str]:
    return [str(c.params.get("text", "")) for c in tg.calls if c.method.lower() in ("sendmessage", "editmessagetext")]


def assert_no_crash(tg: FakeTelegram, caplog: pytest.LogCaptureFixture) -> None:
    assert not any(INTERNAL_ERROR in t for t in all_texts(tg))
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR and "unhandled error" in r.getMessage()]


async def test_bare_mention_in_a_group_asks_for_a_question(tmp_path, tg, llm, monkeypatch, caplog):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        bot.say("@dagi_bot", chat_id=GROUP, chat_type="supergroup", message_id=701)
        [text] = await bot.replies(GROUP)
        assert text.startswith("Напишіть питання")
        assert tg.calls_of("sendMessage", chat_id=GROUP)[0].params["reply_parameters"]["message_id"] == 701
        bot.say("@dagi_bot а тепер питання", chat_id=GROUP, chat_type="supergroup")
        assert (await bot.replies(GROUP, 2))[-1] == "echo: а тепер питання"
        assert len(llm.chat_requests()) == 1
    assert_no_crash(tg, caplog)


async def test_huge_message_is_refused_without_calling_the_model(tmp_path, tg, llm, monkeypatch, caplog):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        bot.say("а" * 100_000)
        [text] = await bot.replies(1001)
        assert text.startswith("Повідомлення задовге")
        assert "100000" in text
        bot.say("Коротке питання")
        assert (await bot.replies(1001, 2))[-1] == "echo: Коротке питання"
        assert len(llm.chat_requests()) == 1
    assert_no_crash(tg, caplog)


async def test_emoji_only_message_is_answered_by_the_model(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        bot.say("🙂🙂")
        assert await bot.replies(1001) == ["echo: 🙂🙂"]
        assert llm.chat_requests()[-1].json["messages"][-1] == {"role": "user", "content": "🙂🙂"}


async def test_sticker_in_private_gets_an_explanation(tmp_path, tg, llm, monkeypatch, caplog):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        chat = {"id": 1001, "type": "private", "first_name": "Olena"}
        tg.push_raw(TOKEN, {"message": sticker_message(900, chat, user())})
        [text] = await bot.replies(1001)
        assert text.startswith("Я розумію текст, голосові, фото і документи")
        bot.say("Добре, ось текст")
        assert (await bot.replies(1001, 2))[-1] == "echo: Добре, ось текст"
        assert len(llm.chat_requests()) == 1
    assert_no_crash(tg, caplog)


async def test_sticker_in_a_group_is_ignored(tmp_path, tg, llm, monkeypatch, caplog):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        chat = {"id": GROUP, "type": "supergroup", "title": "Test group"}
        tg.push_raw(TOKEN, {"message": sticker_message(900, chat, user())})
        bot.say("@dagi_bot привіт", chat_id=GROUP, chat_type="supergroup")
        assert await bot.replies(GROUP) == ["echo: привіт"]
        assert [m["text"] for m in tg.messages(GROUP)] == ["echo: привіт"]
        assert len(llm.chat_requests()) == 1
    assert_no_crash(tg, caplog)


async def test_edits_channel_posts_and_other_bots_are_ignored(tmp_path, tg, llm, monkeypatch, caplog):
    channel = {"id": -100777, "type": "channel", "title": "DAARION news"}
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        now = int(time.time())
        tg.push_raw(TOKEN, {"edited_message": {
            "message_id": 900, "date": now - 5, "edit_date": now, "chat": {"id": 1001, "type": "private",
                                                                          "first_name": "Olena"},
            "from": user(), "text": "Виправлене питання"}})
        tg.push_raw(TOKEN, {"channel_post": {
            "message_id": 901, "date": now, "chat": channel, "sender_chat": channel,
            "text": "@dagi_bot Новини каналу", "entities": [{"type": "mention", "offset": 0, "length": 9}]}})
        bot.say("Привіт від іншого бота", chat_id=2002, user_id=2002, is_bot=True)

        bot.say("Звичайне питання")
        bot.say("Я людина", chat_id=2003, user_id=2003)
        assert await bot.replies(1001) == ["echo: Звичайне питання"]
        assert await bot.replies(2003) == ["echo: Я людина"]

        asked = [r.json["messages"][-1]["content"] for r in llm.chat_requests()]
        assert sorted(asked) == ["Звичайне питання", "Я людина"]
        assert [m["text"] for m in tg.messages(1001)] == ["echo: Звичайне питання"]
        assert not [c for c in tg.calls if c.params.get("chat_id") in (-100777, 2002)]
    assert_no_crash(tg, caplog)
