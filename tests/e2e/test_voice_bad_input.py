"""Bad recordings end to end: each gets a clear short answer, nothing reaches the chat model, and the bot stays alive
(the next typed message is answered). The speech model is the fake's OpenAI endpoint."""
from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable

import pytest

from bot.testing import FakeTelegram
from router.testing import FakeLLM
from router.testing.speech import corrupt_ogg, png_as_ogg, silence_ogg
from tests.e2e.voice_media import (
    EN,
    PRIVATE,
    SPEECH_YAML,
    UK,
    encoded,
    heard,
    last_user_text,
    long_opus,
    note,
    too_long,
    user_rows,
)
from tests.harness import TOKEN, running_bot

Send = Callable[[FakeTelegram, FakeLLM], None]


def _voice(data: bytes, seconds: int = 1, **kw) -> Send:
    def send(tg: FakeTelegram, llm: FakeLLM) -> None:
        tg.send_voice(TOKEN, chat_id=PRIVATE, user_id=PRIVATE, audio=data, duration=seconds, **kw)
    return send


def _document(data: bytes, name: str, mime: str, **kw) -> Send:
    def send(tg: FakeTelegram, llm: FakeLLM) -> None:
        tg.send_document(TOKEN, chat_id=PRIVATE, user_id=PRIVATE, content=data, file_name=name, mime_type=mime, **kw)
    return send


def _heard_as(text: str) -> Send:
    """A valid note the speech model hears as `text` (what a real Whisper API returns for silence is "")."""
    def send(tg: FakeTelegram, llm: FakeLLM) -> None:
        llm.transcripts(text)
        tg.send_voice(TOKEN, chat_id=PRIVATE, user_id=PRIVATE, audio=silence_ogg(2).data, duration=2)
    return send


def _api_down(tg: FakeTelegram, llm: FakeLLM) -> None:
    llm.fail("500")
    tg.send_voice(TOKEN, chat_id=PRIVATE, user_id=PRIVATE, audio=note().data, duration=1)


# (what is sent, the notices any one of which is right, whether the speech model was asked)
CASES: dict[str, tuple[Send, set[str], bool]] = {
    "silence": (_heard_as(""), {UK("voice_no_speech")}, True),
    "whitespace transcript": (_heard_as(" \n "), {UK("voice_no_speech")}, True),
    "corrupt ogg": (_voice(corrupt_ogg().data),
                    {UK("voice_not_audio"), UK("voice_unsupported"), UK("voice_corrupt")}, False),
    "png as ogg": (_voice(png_as_ogg().data), {UK("voice_not_audio")}, False),
    "empty file": (_voice(b""), {UK("voice_empty")}, False),
    "unsupported codec": (_document(encoded("adts", "aac", 2.0), "memo.aac", "audio/aac"),
                          {UK("voice_unsupported")}, False),
    # A 2-hour recording sent as a file (Telegram gives no duration): its header gives it away, not the model.
    "2-hour file": (_document(long_opus(7200), "lecture.ogg", "audio/ogg"), {too_long(300)}, False),
    "2-hour voice note": (_voice(note().data, seconds=7200), {too_long(300)}, False),
    "30 MB file": (_document(note().data, "meeting.ogg", "audio/ogg", file_size=30 * 1024 * 1024),
                   {UK("voice_too_large", mb=20)}, False),
    "speech api down": (_api_down, {UK("voice_stt_unavailable")}, True),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_a_bad_recording_gets_a_clear_answer_and_the_bot_stays_alive(case, tmp_path, tg, llm, monkeypatch,
                                                                           caplog):
    send, notices, heard_by_model = CASES[case]
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=SPEECH_YAML, monkeypatch=monkeypatch) as bot:
        send(tg, llm)
        [notice] = await bot.replies(PRIVATE)
        assert notice in notices, notice
        assert llm.chat_requests() == []  # nothing for the chat model to answer
        assert len(llm.transcription_requests()) == (1 if heard_by_model else 0)
        # Told, and never retried after a restart (refusals from Telegram's own numbers are not even stored); a
        # stored one is marked failed right after its notice went (the notice first: a user is never left without one).
        await tg.wait_for(lambda: [status for _, status, _ in user_rows(tmp_path)] in ([], ["failed"]))

        bot.say("А тепер текстом: привіт!")
        assert (await bot.replies(PRIVATE, 2))[-1] == "echo: А тепер текстом: привіт!"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "no unhandled error"


async def test_speech_in_a_third_language_is_shown_and_answered_like_any_other(tmp_path, tg, llm, monkeypatch):
    said = "Guten Tag, wie viel kostet die Mitgliedschaft?"
    llm.transcripts(said, language="de")
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=SPEECH_YAML, monkeypatch=monkeypatch) as bot:
        tg.send_voice(TOKEN, chat_id=PRIVATE, user_id=PRIVATE, audio=note().data, duration=1, language_code="de")
        [answer] = await bot.replies(PRIVATE)
        assert answer == f"{heard(said, EN)}\n\necho: {said}"  # a German client gets the English texts
        assert last_user_text(llm.chat_requests()[0]) == said


async def test_a_download_the_file_server_refuses_is_a_clear_notice_and_leaves_no_token_behind(
        tmp_path, tg, llm, monkeypatch, caplog):
    getfile = tg._m_getfile

    async def gone(bot, params):  # getFile names a path the file server then answers 404 for
        return {**await getfile(bot, params), "file_path": "voice/gone.oga"}

    monkeypatch.setattr(tg, "_m_getfile", gone)
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=SPEECH_YAML, monkeypatch=monkeypatch) as bot:
        _voice(note().data)(tg, llm)
        assert await bot.replies(PRIVATE) == [UK("voice_download_failed")]
        assert llm.transcription_requests() == []
    with sqlite3.connect(tmp_path / "dagi.db") as db:
        [(status, error)] = db.execute("select status, error from messages where role = 'user'").fetchall()
    secret = TOKEN.split(":")[1]
    assert status == "failed" and secret not in (error or "")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "no unhandled error"
