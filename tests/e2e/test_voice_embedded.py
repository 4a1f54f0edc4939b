"""Voice end to end on the real local models: Whisper base hears espeak-ng speech, Piper and espeak-ng speak the
answers; hybrid by load (a busy Whisper passes a note to the speech API) and local-only chats that never leave the
host. Few tests on purpose: loading Whisper takes a second or two, hearing a 4 s note about as long on 2 cores."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from router.testing.speech import noise_ogg, silence_ogg, spoken_ogg, voice_note_info
from tests.e2e.voice_media import EN, OLLAMA, PRIVATE, SPEECH, UK, heard, last_user_text
from tests.harness import TOKEN, running_bot

pytest.importorskip("faster_whisper")

SENTENCE = "Please remind me to buy milk and bread tomorrow morning."
KEY_WORDS = {"remind", "milk", "bread", "tomorrow"}
SLOW = 60.0  # seconds to wait for an answer the real model hears (load + transcription on a busy CI box)


def whisper_yaml(stt: str, tts: str = "") -> str:
    tts_rule = f"  - when: {{mode: tts}}\n    use: [{tts}]\n" if tts else ""
    return f"""
providers:
  {OLLAMA}
  {SPEECH}
  whisper: {{kind: whisper, max_concurrency: 1}}
  piper: {{kind: piper}}
  espeak: {{kind: espeak}}
rules:
  - when: {{mode: stt}}
    use: [{stt}]
{tts_rule}  - use: [ollama:qwen3:8b]
"""


@pytest.fixture(scope="module")
def whisper_models(request: pytest.FixtureRequest) -> Path:
    """Whisper base assembled (and verified) once in pytest's cache: the same place tests/router/test_whisper uses."""
    from router.whisper_model import BASE_DIR, base_model_dir

    cache = Path(request.config.cache.mkdir("whisper-model"))
    base_model_dir(cache)
    return cache / "models" / BASE_DIR


@pytest.fixture
def data_dir(tmp_path: Path, whisper_models: Path) -> Path:
    """The bot's data directory with the assembled model linked in, instead of 145 MB copied per test."""
    models = tmp_path / "data" / "models"
    models.mkdir(parents=True)
    (models / whisper_models.name).symlink_to(whisper_models, target_is_directory=True)
    return tmp_path / "data"


def words(text: str) -> set[str]:
    return {w.strip(".,!?'\"").lower() for w in text.split()}


def stt_usage(tmp: Path) -> list[tuple[str, int, str]]:
    """(provider, user, outcome) of every speech-to-text call, in order."""
    with sqlite3.connect(tmp / "dagi.db") as db:
        return db.execute("select provider, user_id, outcome from usage where mode = 'stt' order by id").fetchall()


async def test_english_speech_is_heard_by_local_whisper_and_silence_and_noise_are_not_sent_on(
        tmp_path, data_dir, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=whisper_yaml("whisper:base"), data_dir=data_dir,
                           monkeypatch=monkeypatch) as bot:
        clip = spoken_ogg(SENTENCE)
        tg.send_voice(TOKEN, chat_id=PRIVATE, user_id=PRIVATE, audio=clip.data, duration=round(clip.seconds),
                      language_code="en")
        [answer] = await bot.replies(PRIVATE, timeout=SLOW)
        [request] = llm.chat_requests()
        asked = last_user_text(request)
        assert KEY_WORDS <= words(asked), asked
        # Answered like typed text, hand-off included: milk and bread are GREENFOOD's business.
        assert answer.startswith(heard(asked, EN)) and answer.endswith(f"echo: {asked}")

        tg.send_voice(TOKEN, chat_id=PRIVATE, user_id=PRIVATE, audio=silence_ogg(3).data, duration=3,
                      language_code="en")
        assert (await bot.replies(PRIVATE, 2, timeout=SLOW))[-1] == EN("voice_no_speech")
        tg.send_voice(TOKEN, chat_id=PRIVATE, user_id=PRIVATE, audio=noise_ogg(1).data, duration=1,
                      language_code="en")
        noise = (await bot.replies(PRIVATE, 3, timeout=SLOW))[-1]
        # Whatever Whisper makes of noise: "no speech", or a transcript it marks as uncertain; never a crash.
        unsure = EN("voice_heard_unsure", text="\0").split("\0")[0]
        assert noise == EN("voice_no_speech") or noise.startswith(unsure), noise
        assert len(llm.chat_requests()) == (1 if noise == EN("voice_no_speech") else 2)

        bot.say("Thanks!", language_code="en")
        assert (await bot.replies(PRIVATE, 4, timeout=SLOW))[-1] == "echo: Thanks!"
    assert llm.transcription_requests() == []
    assert {provider for provider, _, _ in stt_usage(tmp_path)} == {"whisper"}


async def test_a_local_only_chat_is_heard_by_local_whisper_and_never_by_the_api(
        tmp_path, data_dir, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=whisper_yaml("speech:whisper-1, whisper:base"),
                           data_dir=data_dir, monkeypatch=monkeypatch) as bot:
        bot.say("/privacy local")
        assert await bot.replies(PRIVATE) == [UK("privacy_local")]
        clip = spoken_ogg(SENTENCE)
        tg.send_voice(TOKEN, chat_id=PRIVATE, user_id=PRIVATE, audio=clip.data, duration=round(clip.seconds))
        answer = (await bot.replies(PRIVATE, 2, timeout=SLOW))[-1]
        asked = last_user_text(llm.chat_requests()[-1])
        assert KEY_WORDS <= words(asked) and answer.endswith(f"echo: {asked}")
    # The API comes first in the route, yet a local-only chat's recording never left the host.
    assert llm.transcription_requests() == []
    assert [provider for provider, _, _ in stt_usage(tmp_path)] == ["whisper"]


async def test_a_note_that_arrives_while_local_whisper_is_busy_goes_to_the_api(tmp_path, data_dir, tg, llm,
                                                                                monkeypatch):
    llm.transcripts("What grows in the GREENFOOD farms?")
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=whisper_yaml("whisper:base, speech:whisper-1"),
                           data_dir=data_dir, monkeypatch=monkeypatch) as bot:
        whisper = bot.services.router.providers["whisper"]
        clip = spoken_ogg(SENTENCE)
        tg.send_voice(TOKEN, chat_id=2001, user_id=2001, audio=clip.data, duration=round(clip.seconds),
                      language_code="en")
        await tg.wait_for(lambda: whisper.busy("base"), timeout=SLOW)  # its only slot: loading, then hearing
        tg.send_voice(TOKEN, chat_id=2002, user_id=2002, audio=clip.data, duration=round(clip.seconds),
                      language_code="en")
        [api_answer] = await bot.replies(2002, timeout=SLOW)
        [local_answer] = await bot.replies(2001, timeout=SLOW)
        assert api_answer.endswith("echo: What grows in the GREENFOOD farms?")  # what the API fake "heard"
        assert KEY_WORDS <= words(local_answer), local_answer
        assert len(llm.transcription_requests()) == 1
    assert sorted((provider, user) for provider, user, _ in stt_usage(tmp_path)) == [
        ("speech", 2002), ("whisper", 2001)]


async def test_voice_answers_are_spoken_by_piper_in_english_and_espeak_in_ukrainian(tmp_path, tg, llm, monkeypatch):
    yaml = whisper_yaml("whisper:base", "piper:joe, espeak:default")
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=yaml, monkeypatch=monkeypatch) as bot:
        for chat_id, lang in ((3001, "en"), (3002, "uk")):
            bot.say("/voice on", chat_id=chat_id, user_id=chat_id, language_code=lang)
            await bot.replies(chat_id)
        llm.reply("Helion looks after energy questions.\n\nAsk it about EcoMiner.",
                  "Helion відповідає на питання про енергетику.\n\nСпитайте його про EcoMiner.")
        bot.say("Who knows about energy?", chat_id=3001, user_id=3001, language_code="en")
        await tg.wait_for(lambda: len(tg.voices(3001)) == 1, timeout=SLOW)
        bot.say("Хто знається на енергетиці?", chat_id=3002, user_id=3002, language_code="uk")
        await tg.wait_for(lambda: len(tg.voices(3002)) == 1, timeout=SLOW)
        for chat_id in (3001, 3002):
            [spoken] = tg.voices(chat_id)
            container, codec, seconds = voice_note_info(spoken["data"])
            assert (container, codec) == ("ogg", "opus")
            assert 1.0 < seconds < 10.0  # the first paragraph only: one short sentence
            assert spoken["duration"] == pytest.approx(seconds, abs=1)
        assert llm.speech_requests() == []  # spoken on this host
    with sqlite3.connect(tmp_path / "dagi.db") as db:
        spoke = db.execute("select provider, chat_id from usage where mode = 'tts' order by chat_id").fetchall()
    assert spoke == [("piper", 3001), ("espeak", 3002)]


async def test_an_answer_is_spoken_in_the_language_it_is_written_in_not_the_apps(tmp_path, tg, llm, monkeypatch):
    # An English Telegram app, a question in Ukrainian: the answer is Ukrainian, so espeak's Ukrainian voice
    # says it (Piper's English voice would read Cyrillic as noise), and the other way round.
    yaml = whisper_yaml("whisper:base", "piper:joe, espeak:default")
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=yaml, monkeypatch=monkeypatch) as bot:
        for chat_id, lang in ((3001, "en"), (3002, "uk")):
            bot.say("/voice on", chat_id=chat_id, user_id=chat_id, language_code=lang)
            await bot.replies(chat_id)
        llm.reply("Helion відповідає на питання про енергетику.", "Helion looks after energy questions.")
        bot.say("Хто знається на енергетиці?", chat_id=3001, user_id=3001, language_code="en")
        await tg.wait_for(lambda: len(tg.voices(3001)) == 1, timeout=SLOW)
        bot.say("Who knows about energy?", chat_id=3002, user_id=3002, language_code="uk")
        await tg.wait_for(lambda: len(tg.voices(3002)) == 1, timeout=SLOW)
    with sqlite3.connect(tmp_path / "dagi.db") as db:
        spoke = db.execute("select provider, chat_id from usage where mode = 'tts' order by chat_id").fetchall()
    assert spoke == [("espeak", 3001), ("piper", 3002)]


async def test_a_broken_local_whisper_passes_the_note_to_the_api(tmp_path, tg, llm, monkeypatch):
    llm.transcripts("Who runs DAARION.city?")
    missing = tmp_path / "no-such-model"  # a model directory that is not there: Whisper cannot load
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=whisper_yaml(f"whisper:{missing}, speech:whisper-1"),
                           monkeypatch=monkeypatch) as bot:
        tg.send_voice(TOKEN, chat_id=PRIVATE, user_id=PRIVATE, audio=silence_ogg(1).data, duration=1)
        [answer] = await bot.replies(PRIVATE, timeout=SLOW)
        assert answer == f"{heard('Who runs DAARION.city?')}\n\necho: Who runs DAARION.city?"
        assert len(llm.transcription_requests()) == 1
    assert [(provider, outcome == "ok") for provider, _, outcome in stt_usage(tmp_path)] == [
        ("whisper", False), ("speech", True)]
