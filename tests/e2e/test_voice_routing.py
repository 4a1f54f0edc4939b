"""Which speech model hears a voice note: the next API when the first fails, never a cloud API for a local-only
chat (speech through the fake's OpenAI endpoint; the local Whisper cases are in test_voice_embedded.py)."""
from __future__ import annotations

import sqlite3

from tests.e2e.voice_media import GROUP, OLLAMA, PRIVATE, SPEECH_YAML, UK, heard, note
from tests.harness import TOKEN, running_bot


def voice(tg, **kw) -> None:
    """A user sends a short voice note."""
    tg.send_voice(TOKEN, chat_id=PRIVATE, user_id=PRIVATE, audio=note().data, duration=1, **kw)


FAILOVER_YAML = f"""
providers:
  {OLLAMA}
  speech_a: {{kind: openai, base_url: "${{BACKUP_URL}}", api_key_env: BACKUP_KEY,
             models: {{whisper-1: {{capabilities: [transcription]}}}}}}
  speech_b: {{kind: openai, base_url: "${{BACKUP_URL}}", api_key_env: BACKUP_KEY,
             models: {{whisper-1: {{capabilities: [transcription]}}}}}}
rules:
  - when: {{mode: stt}}
    use: [speech_a:whisper-1, speech_b:whisper-1]
  - use: [ollama:qwen3:8b]
"""


def stt_usage(tmp) -> list[tuple[str, str]]:
    """(provider, outcome) of every speech-to-text call, in order."""
    with sqlite3.connect(tmp / "dagi.db") as db:
        return db.execute("select provider, outcome from usage where mode = 'stt' order by id").fetchall()


async def test_when_the_first_speech_api_fails_the_next_one_hears_the_note(tmp_path, tg, llm, monkeypatch):
    llm.fail("500")
    llm.transcripts("Коли наступні збори?")
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=FAILOVER_YAML, monkeypatch=monkeypatch) as bot:
        voice(tg)
        [answer] = await bot.replies(PRIVATE)
        assert answer == f"{heard('Коли наступні збори?')}\n\necho: Коли наступні збори?"
        assert len(llm.transcription_requests()) == 2
    assert [provider for provider, _ in stt_usage(tmp_path)] == ["speech_a", "speech_b"]
    assert stt_usage(tmp_path)[-1][1] == "ok" and stt_usage(tmp_path)[0][1] != "ok"


async def test_a_local_only_chat_never_sends_a_voice_note_to_a_cloud_speech_api(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=SPEECH_YAML, monkeypatch=monkeypatch) as bot:
        bot.say("/privacy local")
        assert await bot.replies(PRIVATE) == [UK("privacy_local")]
        voice(tg)
        assert (await bot.replies(PRIVATE, 2))[-1] == UK("voice_local_only")
        voice(tg, message_id=900)
        await bot.replies(PRIVATE, 3)
        bot.say("/transcribe", reply_to=900)
        assert (await bot.replies(PRIVATE, 4))[-1] == UK("voice_local_only")
        assert llm.transcription_requests() == [] and llm.chat_requests() == []


async def test_voice_answers_cannot_be_switched_on_in_a_local_only_chat_whose_only_voice_is_a_cloud_api(
        tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=SPEECH_YAML, monkeypatch=monkeypatch) as bot:
        bot.say("/privacy local")
        await bot.replies(PRIVATE)
        bot.say("/voice on")
        assert (await bot.replies(PRIVATE, 2))[-1] == UK("voice_tts_missing")  # not a promise it cannot keep
        bot.say("/privacy cloud")
        await bot.replies(PRIVATE, 3)
        bot.say("/voice on")
        assert (await bot.replies(PRIVATE, 4))[-1] == UK("voice_on")


async def test_group_chatter_being_transcribed_does_not_hold_up_the_groups_next_message(tmp_path, tg, llm, monkeypatch):
    group = {"chat_id": GROUP, "chat_type": "supergroup"}
    llm.transcripts("we should meet on friday")  # not for the bot: no name at its start
    llm.audio_delay = 30.0  # a slow speech model hearing the chatter
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=SPEECH_YAML, monkeypatch=monkeypatch) as bot:
        tg.send_voice(TOKEN, user_id=3003, audio=note().data, duration=1, **group)
        await tg.wait_for(lambda: len(llm.transcription_requests()) == 1)
        bot.say("@dagi_bot привіт", user_id=3004, **group)
        # Answered while the chatter is still being heard, not after it.
        await tg.wait_for(lambda: len(tg.sent_texts(GROUP)) == 1, timeout=10)
        assert tg.sent_texts(GROUP) == ["echo: привіт"]
