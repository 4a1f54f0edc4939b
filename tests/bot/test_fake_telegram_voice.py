"""FakeTelegram speaks voice as Telegram does: voice notes, audio and video notes in, sendVoice out."""
from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import BufferedInputFile, ReplyParameters

from bot.testing import FakeTelegram
from tests.conftest import API_TOKEN as TOKEN

OGG = b"OggS\x00\x02" + bytes(range(200))  # only the magic matters to the fake


async def _download(bot: Bot, file_id: str) -> bytes:
    file = await bot.get_file(file_id)
    assert file.file_path
    data = await bot.download_file(file.file_path)
    assert data is not None
    return data.read()


async def test_a_voice_note_arrives_and_downloads_byte_for_byte(tg: FakeTelegram, bot: Bot) -> None:
    tg.send_voice(TOKEN, chat_id=7, user_id=7, audio=OGG, duration=4, caption="listen", language_code="en")
    [update] = await bot.get_updates()
    msg = update.message
    assert msg and msg.voice and msg.chat.type == "private" and msg.caption == "listen"
    assert msg.voice.duration == 4 and msg.voice.mime_type == "audio/ogg" and msg.voice.file_size == len(OGG)
    assert msg.from_user and msg.from_user.language_code == "en"
    file = await bot.get_file(msg.voice.file_id)
    assert file.file_path and file.file_path.endswith(".oga") and file.file_size == len(OGG)
    assert await _download(bot, msg.voice.file_id) == OGG


async def test_a_claimed_30_mb_voice_is_too_big_to_get(tg: FakeTelegram, bot: Bot) -> None:
    tg.send_voice(TOKEN, chat_id=7, user_id=7, audio=OGG, duration=1900, file_size=30 * 1024 * 1024)
    tg.send_voice(TOKEN, chat_id=7, user_id=7, audio=OGG, duration=2, file_size=20 * 1024 * 1024)
    big, limit = [u.message.voice for u in await bot.get_updates() if u.message]
    assert big and big.file_size == 30 * 1024 * 1024
    with pytest.raises(TelegramBadRequest, match="file is too big"):
        await bot.get_file(big.file_id)
    assert limit and (await bot.get_file(limit.file_id)).file_size == 20 * 1024 * 1024  # 20 MB itself is served


async def test_voice_replies_in_groups_quote_the_message_replied_to(tg: FakeTelegram, bot: Bot) -> None:
    answer = await bot.send_message(chat_id=-100, text="Ask me anything")
    to_bot = tg.send_voice(TOKEN, chat_id=-100, user_id=5, audio=OGG, duration=3, chat_type="supergroup",
                           reply_to=answer.message_id)
    first = (await bot.get_updates(offset=to_bot))[0].message
    assert first and first.voice and first.chat.type == "supergroup"
    assert first.reply_to_message and first.reply_to_message.text == "Ask me anything"
    # /transcribe as a reply to someone's voice note: the quoted message carries the voice.
    tg.send_text(TOKEN, chat_id=-100, user_id=6, text="/transcribe", chat_type="supergroup",
                 reply_to=first.message_id)
    second = (await bot.get_updates(offset=to_bot + 1))[0].message
    assert second and second.reply_to_message and second.reply_to_message.voice
    assert second.reply_to_message.voice.file_id == first.voice.file_id
    with pytest.raises(KeyError):
        tg.send_voice(TOKEN, chat_id=-100, user_id=5, audio=OGG, duration=1, reply_to=999)


async def test_audio_files_and_video_notes_arrive_with_their_fields(tg: FakeTelegram, bot: Bot) -> None:
    tg.send_audio(TOKEN, chat_id=-200, user_id=5, audio=b"ID3 mp3", duration=61, title="Lecture",
                  performer="Prof", file_name="lecture.mp3", chat_type="group")
    tg.send_video_note(TOKEN, chat_id=7, user_id=7, video=b"\x00\x00\x00\x20ftypisom", duration=9, length=240)
    audio_msg, note_msg = [u.message for u in await bot.get_updates()]
    assert audio_msg and audio_msg.audio and audio_msg.chat.type == "group"
    a = audio_msg.audio
    assert (a.duration, a.title, a.performer, a.file_name, a.mime_type) == (61, "Lecture", "Prof", "lecture.mp3",
                                                                             "audio/mpeg")
    assert await _download(bot, a.file_id) == b"ID3 mp3"
    assert note_msg and note_msg.video_note
    assert (note_msg.video_note.duration, note_msg.video_note.length) == (9, 240)
    assert await _download(bot, note_msg.video_note.file_id) == b"\x00\x00\x00\x20ftypisom"


async def test_send_voice_is_recorded_with_its_bytes_and_can_be_replied_to(tg: FakeTelegram, bot: Bot) -> None:
    question = tg.send_text(TOKEN, chat_id=7, user_id=7, text="Say it")
    asked = (await bot.get_updates(offset=question))[0].message
    assert asked
    sent = await bot.send_voice(7, BufferedInputFile(OGG, "a.ogg"), duration=3, caption="the answer",
                                reply_parameters=ReplyParameters(message_id=asked.message_id))
    assert sent.voice and sent.voice.duration == 3 and sent.voice.file_size == len(OGG)
    assert sent.reply_to_message and sent.reply_to_message.text == "Say it"
    assert tg.voices(7) == [{"data": OGG, "duration": 3, "caption": "the answer",
                             "reply_to_message_id": asked.message_id, "message_id": sent.message_id,
                             "file_id": sent.voice.file_id, "file_name": "a.ogg"}]
    assert [m["message_id"] for m in tg.messages(7)] == [sent.message_id]
    # The user answers the voice; the bot can fetch its own voice again (e.g. to transcribe it).
    reply = tg.send_text(TOKEN, chat_id=7, user_id=7, text="/transcribe", reply_to=sent.message_id)
    quoted = (await bot.get_updates(offset=reply))[0].message
    assert quoted and quoted.reply_to_message and quoted.reply_to_message.voice
    assert await _download(bot, quoted.reply_to_message.voice.file_id) == OGG
    await bot.send_voice(8, BufferedInputFile(OGG[:50], "b.ogg"))
    assert tg.voices(8)[0]["duration"] is None and tg.voices(8)[0]["data"] == OGG[:50] and tg.voices(7)[1:] == []


async def test_bad_voice_uploads_are_refused_like_telegram(tg: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="non-empty"):
        await bot.send_voice(7, BufferedInputFile(b"", "empty.ogg"))
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_voice(7, "no-such-file-id")
    tg.block(9)
    with pytest.raises(TelegramForbiddenError):
        await bot.send_voice(9, BufferedInputFile(OGG, "a.ogg"), duration=1)
    assert tg.voices(7) == [] and tg.voices(9) == []


async def test_a_user_who_forbids_voice_messages_gets_none(tg: FakeTelegram, bot: Bot) -> None:
    tg.forbid_voice(7)
    with pytest.raises(TelegramBadRequest, match="VOICE_MESSAGES_FORBIDDEN"):
        await bot.send_voice(7, BufferedInputFile(OGG, "a.ogg"), duration=3)
    assert tg.voices(7) == [] and tg.messages(7) == []
    assert (await bot.send_message(7, "text still arrives")).text == "text still arrives"
    assert (await bot.send_voice(8, BufferedInputFile(OGG, "a.ogg"), duration=3)).voice  # other chats unaffected
    tg.allow_voice(7)
    assert (await bot.send_voice(7, BufferedInputFile(OGG, "a.ogg"), duration=3)).voice
    assert len(tg.voices(7)) == 1


async def test_chat_actions_for_voice_are_accepted_and_unknown_ones_refused(tg: FakeTelegram, bot: Bot) -> None:
    assert await bot.send_chat_action(7, "record_voice")
    assert await bot.send_chat_action(7, "upload_voice")
    with pytest.raises(TelegramBadRequest, match="wrong parameter action"):
        await bot.send_chat_action(7, "record_audio")
    assert [c.params["action"] for c in tg.calls_of("sendChatAction") if c.ok] == ["record_voice", "upload_voice"]
