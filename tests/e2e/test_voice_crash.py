"""A bot killed while a voice note is in flight answers it exactly once after it restarts (`python -m bot run`)."""
from __future__ import annotations

import asyncio
import signal
import subprocess
from pathlib import Path

from bot.testing import FakeTelegram
from router.testing import FakeLLM
from tests.e2e.processes import kill, start_bot, until
from tests.e2e.voice_media import SPEECH_YAML, heard, note, user_rows
from tests.harness import TOKEN

USER = 2101


def _start(tmp: Path, tg: FakeTelegram, llm: FakeLLM, url: str, speech: FakeLLM | None = None
           ) -> subprocess.Popen[bytes]:
    """The bot as deployed on the database at `url`; chat on `llm`'s Ollama side, speech on `speech`'s OpenAI side
    (default: `llm`)."""
    return start_bot(tmp, tg, llm, SPEECH_YAML,
                     {"BACKUP_URL": (speech or llm).openai_url, "BACKUP_KEY": "sk-test-key-1234567890"},
                     database_url=url)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)


async def test_a_voice_note_whose_transcription_was_cut_by_a_crash_is_heard_and_answered_once(
        tmp_path: Path, database_url: str) -> None:
    said = "Нагадай, будь ласка, що таке microDAO."
    async with FakeTelegram() as tg, FakeLLM() as llm:
        tg.add_bot(TOKEN, "dagi_bot")
        llm.fail("hang")  # the speech API never answers the first transcription
        first = _start(tmp_path, tg, llm, database_url)
        try:
            tg.send_voice(TOKEN, chat_id=USER, user_id=USER, audio=note().data, duration=1)
            await until(lambda: len(llm.transcription_requests()) == 1, first, tmp_path, 60)
            assert [(status, mode) for _, status, mode in user_rows(tmp_path, database_url)] == [("pending", "voice")]
        finally:
            kill(first)
        llm.release()
        assert tg.sent_texts(USER) == [], "nothing was answered before the crash"
        downloads = len(tg.calls_of("getFile"))

        llm.transcripts(said)
        second = _start(tmp_path, tg, llm, database_url)
        try:
            await until(lambda: len(tg.sent_texts(USER)) >= 1, second, tmp_path, 60)
            tg.send_text(TOKEN, chat_id=USER, user_id=USER, text="Дякую")  # queued after the recovered one
            await until(lambda: len(tg.sent_texts(USER)) >= 2, second, tmp_path, 30)
            await asyncio.sleep(0.5)
        finally:
            _stop(second)
        assert tg.sent_texts(USER) == [f"{heard(said)}\n\necho: {said}", "echo: Дякую"]
        assert len(tg.calls_of("getFile")) == downloads + 1  # downloaded again by its stored file id
        assert len(llm.transcription_requests()) == 2  # the cut one and the one after the restart
        assert user_rows(tmp_path, database_url) == [(said, "done", "chat"), ("Дякую", "done", "chat")]


async def test_a_voice_note_heard_before_the_crash_is_answered_after_it_without_hearing_it_again(
        tmp_path: Path, database_url: str) -> None:
    said = "Коли наступні загальні збори?"
    async with FakeTelegram() as tg, FakeLLM() as llm, FakeLLM() as speech:  # the chat model hangs, speech works
        tg.add_bot(TOKEN, "dagi_bot")
        speech.transcripts(said)
        llm.fail("hang")
        first = _start(tmp_path, tg, llm, database_url, speech)
        try:
            tg.send_voice(TOKEN, chat_id=USER, user_id=USER, audio=note().data, duration=1)
            await until(lambda: len(llm.chat_requests()) == 1, first, tmp_path, 60)
        finally:
            kill(first)
        llm.release()
        # Stored as its transcript already: a restart answers the words and never pays to hear them twice.
        assert user_rows(tmp_path, database_url) == [(said, "pending", "chat")]
        assert not any(said in t for t in tg.sent_texts(USER)), "not answered before the crash"

        second = _start(tmp_path, tg, llm, database_url, speech)
        try:
            await until(lambda: any(t.endswith(f"echo: {said}") for t in tg.sent_texts(USER)), second, tmp_path, 60)
            await asyncio.sleep(0.5)
        finally:
            _stop(second)
        answers = [t for t in tg.sent_texts(USER) if said in t]
        assert len(answers) == 1 and answers[0].endswith(f"echo: {said}"), tg.sent_texts(USER)
        assert len(speech.transcription_requests()) == 1
        assert user_rows(tmp_path, database_url) == [(said, "done", "chat")]
