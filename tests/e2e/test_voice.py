"""Voice end to end through the speech API (the fake's OpenAI endpoint): voice notes heard and answered like typed
text, in private and in groups, /transcribe, /voice on|off with spoken answers, and the limits users hit."""
from __future__ import annotations

from ops.voice_use import span
from router.testing.speech import silence_ogg, voice_note_info
from tests.e2e.voice_media import (
    EN,
    GROUP,
    OLLAMA,
    PRIVATE,
    SPEECH,
    SPEECH_YAML,
    UK,
    encoded,
    heard,
    last_user_text,
    note,
    too_long,
    user_rows,
)
from tests.harness import TOKEN, prompt_of, running_bot, system_of

NO_TTS_YAML = f"""
providers:
  {OLLAMA}
  {SPEECH}
rules:
  - when: {{mode: stt}}
    use: [speech:whisper-1]
  - use: [ollama:qwen3:8b]
"""


def voice(tg, *, chat_id: int = PRIVATE, user_id: int = PRIVATE, seconds: int = 1, data: bytes | None = None,
          **kw) -> None:
    """A user sends a voice note (by default a short one)."""
    tg.send_voice(TOKEN, chat_id=chat_id, user_id=user_id, audio=note().data if data is None else data,
                  duration=seconds, **kw)


def final_texts(tg, chat_id: int) -> list[str]:
    """The bot's messages as the chat shows them now (after every edit)."""
    return [m.get("text", "") for m in tg.messages(chat_id)]


# ---- private chats


async def test_a_voice_note_is_shown_as_its_transcript_and_answered_like_typed_text(tmp_path, tg, llm, monkeypatch):
    question = "What is a microDAO and who can create one?"
    llm.transcripts(question)
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=SPEECH_YAML, monkeypatch=monkeypatch) as bot:
        voice(tg, seconds=1)
        [answer] = await bot.replies(PRIVATE)
        assert answer == f"{heard(question)}\n\necho: {question}"
        quote = tg.calls_of("sendMessage", chat_id=PRIVATE)[-1].params["entities"][0]
        assert quote["type"] == "blockquote" and quote["offset"] == 0  # "🎙 …" is set off as a quote

        [stt] = llm.transcription_requests()
        # The recording as sent; no language hint (the app's language is not always the one spoken).
        assert stt.files["file"][1] == note().data and "language" not in stt.json
        [chat] = llm.chat_requests()
        assert last_user_text(chat) == question  # the model got the words, not the audio

        bot.say("And who votes on proposals?")
        await bot.replies(PRIVATE, 2)
        follow_up = llm.chat_requests()[-1].json["messages"]
        assert {"role": "user", "content": question} in follow_up  # the transcript is part of the history
        assert len(llm.transcription_requests()) == 1  # and was not transcribed again for the follow-up
    rows = user_rows(tmp_path)
    assert rows[0] == (question, "done", "chat")


async def test_a_ukrainian_and_an_english_voice_note_are_each_heard_in_their_language(tmp_path, tg, llm, monkeypatch):
    uk_question, en_question = "Привіт! Розкажи, будь ласка, про Helion.", "What does GREENFOOD sell?"
    llm.transcripts(uk_question, en_question)
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=SPEECH_YAML, monkeypatch=monkeypatch) as bot:
        voice(tg)
        [answer] = await bot.replies(PRIVATE)
        assert answer.startswith(heard(uk_question))
        voice(tg, chat_id=2002, user_id=2002, language_code="en")
        [en_answer] = await bot.replies(2002)
        assert en_answer.startswith(heard(en_question, EN))
        assert [r.json.get("language") for r in llm.transcription_requests()] == [None, None]  # detected
        assert [last_user_text(r) for r in llm.chat_requests()][-2:] == [uk_question, en_question]


async def test_an_audio_file_a_video_note_and_an_audio_document_are_answered_too(tmp_path, tg, llm, monkeypatch):
    llm.transcripts("first from a song file", "second from a round video", "third from a document")
    mp3 = encoded("mp3", "libmp3lame", 2.0)
    mp4 = encoded("mp4", "aac", 2.0, video=True)
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=SPEECH_YAML, monkeypatch=monkeypatch) as bot:
        tg.send_audio(TOKEN, chat_id=PRIVATE, user_id=PRIVATE, audio=mp3, duration=2, title="Memo")
        tg.send_video_note(TOKEN, chat_id=PRIVATE, user_id=PRIVATE, video=mp4, duration=2)
        tg.send_document(TOKEN, chat_id=PRIVATE, user_id=PRIVATE, content=mp3, file_name="recording.mp3",
                         mime_type="audio/mpeg")
        answers = await bot.replies(PRIVATE, 3)
        assert answers == [f"{heard(t)}\n\necho: {t}" for t in
                           ("first from a song file", "second from a round video", "third from a document")]
        # The API got each file in a format it takes by name, not the audio re-encoded.
        assert [r.files["file"][1] for r in llm.transcription_requests()] == [mp3, mp4, mp3]
        assert [r.files["file"][0].rsplit(".", 1)[-1] for r in llm.transcription_requests()] == ["mp3", "mp4", "mp3"]



async def test_a_caption_typed_with_the_recording_reaches_the_model_with_its_words(tmp_path, tg, llm, monkeypatch):
    said = "Зустріч у четвер о третій, беремо ноутбуки."
    llm.transcripts(said)
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=SPEECH_YAML, monkeypatch=monkeypatch) as bot:
        voice(tg, caption="Перекажи коротко")
        [answer] = await bot.replies(PRIVATE)
        assert answer.startswith(heard(said))
        assert last_user_text(llm.chat_requests()[0]) == f"Перекажи коротко\n\n{said}"
    assert user_rows(tmp_path)[0] == (f"Перекажи коротко\n\n{said}", "done", "chat")


async def test_a_transcript_is_quoted_as_heard_not_read_as_markdown(tmp_path, tg, llm, monkeypatch):
    said = "Rename my_file_name to __init__ and see [1](x) or <b>this</b>"
    llm.transcripts(said)
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=SPEECH_YAML, monkeypatch=monkeypatch) as bot:
        voice(tg)
        [answer] = await bot.replies(PRIVATE)
        assert answer.startswith(heard(said)), answer
        entities = tg.calls_of("sendMessage", chat_id=PRIVATE)[-1].params["entities"]
        assert [e["type"] for e in entities if e["offset"] < len(heard(said))] == ["blockquote"]  # no link, no bold


# ---- groups


async def test_in_a_group_a_voice_reply_to_the_bot_and_one_naming_a_persona_are_answered_chatter_is_not(
        tmp_path, tg, llm, monkeypatch):
    group = {"chat_id": GROUP, "chat_type": "supergroup"}
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=SPEECH_YAML, monkeypatch=monkeypatch) as bot:
        bot.say("@dagi_bot привіт", **group)
        await bot.replies(GROUP)
        bot_msg = tg.messages(GROUP)[0]["message_id"]

        llm.transcripts("А як проголосувати за пропозицію?")
        voice(tg, reply_to=bot_msg, message_id=501, **group)
        await tg.wait_for(lambda: len(llm.chat_requests()) == 2 and len(tg.messages(GROUP)) == 2)
        await tg.wait_for(lambda: final_texts(tg, GROUP)[1].endswith("echo: А як проголосувати за пропозицію?"))
        assert final_texts(tg, GROUP)[1].startswith(heard("А як проголосувати за пропозицію?"))
        first = tg.calls_of("sendMessage", chat_id=GROUP)[1]
        assert first.params["reply_parameters"]["message_id"] == 501  # the answer replies to the voice note

        # Not a reply to the bot: heard first, answered because its first word is a persona's name.
        llm.transcripts("Helion, що таке EcoMiner?")
        voice(tg, user_id=3003, **group)
        await tg.wait_for(lambda: len(llm.chat_requests()) == 3)
        asked = llm.chat_requests()[-1]
        assert system_of(asked).startswith(prompt_of(bot, "helion"))
        assert last_user_text(asked) == "що таке EcoMiner?"
        await tg.wait_for(lambda: len(tg.messages(GROUP)) == 3
                          and final_texts(tg, GROUP)[2].endswith("echo: що таке EcoMiner?"))
        assert final_texts(tg, GROUP)[2].startswith(heard("Helion, що таке EcoMiner?"))

        # Chatter: heard (that costs one transcription: only the words can tell whether it was meant for the bot),
        # then ignored without a word.
        llm.transcripts("Всім привіт, хто сьогодні йде на каву?")
        voice(tg, user_id=3004, **group)
        await tg.wait_for(lambda: len(llm.transcription_requests()) == 3)
        bot.say("@dagi_bot а ти ще тут?", **group)  # answered after the chatter would have been: nothing is queued
        await tg.wait_for(lambda: len(llm.chat_requests()) == 4 and len(tg.messages(GROUP)) == 4)
        assert last_user_text(llm.chat_requests()[-1]) == "а ти ще тут?"
        assert not any("каву" in t for t in final_texts(tg, GROUP))
        assert not any("каву" in str(r.json) for r in llm.chat_requests())


# ---- /transcribe


async def test_transcribe_replies_with_just_the_transcript_and_asks_for_a_reply_without_one(
        tmp_path, tg, llm, monkeypatch):
    group = {"chat_id": GROUP, "chat_type": "supergroup"}
    said = "Зустріч перенесли на четвер о третій."
    llm.transcripts(said, said)  # heard twice: once as chatter (ignored), once for /transcribe
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=SPEECH_YAML, monkeypatch=monkeypatch) as bot:
        voice(tg, user_id=3003, message_id=601, **group)
        await tg.wait_for(lambda: len(llm.transcription_requests()) == 1)
        bot.say("/transcribe@dagi_bot", user_id=3004, reply_to=601, **group)
        [text] = await bot.replies(GROUP)
        assert text == UK("transcript", text=said)
        assert llm.chat_requests() == []  # nothing went to the chat model

        bot.say("/transcribe@dagi_bot", user_id=3004, **group)
        texts = await bot.replies(GROUP, 2)
        assert texts[-1] == UK("transcribe_usage")
        assert len(llm.transcription_requests()) == 2 and llm.chat_requests() == []


# ---- /voice on|off


async def test_voice_on_speaks_the_first_paragraph_after_the_text_and_voice_off_stops_it(
        tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=SPEECH_YAML, monkeypatch=monkeypatch) as bot:
        bot.say("/voice")
        assert (await bot.replies(PRIVATE))[-1] == UK("voice_state_off")  # off by default
        bot.say("/voice on")
        assert (await bot.replies(PRIVATE, 2))[-1] == UK("voice_on")

        llm.transcripts("Що таке microDAO?")
        llm.reply("MicroDAO — це невелика спільнота з власними правилами.\n\nДеталі: статут, ролі, голосування.")
        voice(tg)
        await bot.replies(PRIVATE, 3)
        await tg.wait_for(lambda: len(tg.voices(PRIVATE)) == 1)
        [spoken] = tg.voices(PRIVATE)
        container, codec, seconds = voice_note_info(spoken["data"])
        assert (container, codec) == ("ogg", "opus") and seconds > 0
        assert spoken["duration"] and spoken["duration"] > 0
        [tts] = llm.speech_requests()
        assert tts.json["input"] == "MicroDAO — це невелика спільнота з власними правилами."  # first paragraph only
        assert tts.json["response_format"] == "opus"
        sent = tg.calls_of("sendMessage", chat_id=PRIVATE)[-1]
        voice_call = tg.calls_of("sendVoice", chat_id=PRIVATE)[-1]
        assert sent.at <= voice_call.at  # the text first, then the voice

        bot.say("/voice off")
        assert (await bot.replies(PRIVATE, 4))[-1] == UK("voice_off")
        bot.say("А ще?")
        assert (await bot.replies(PRIVATE, 5))[-1] == "echo: А ще?"
        bot.say("/voice")
        assert (await bot.replies(PRIVATE, 6))[-1] == UK("voice_state_off")  # answered after the one before
        assert len(tg.voices(PRIVATE)) == 1 and len(llm.speech_requests()) == 1


async def test_a_user_who_forbids_voice_messages_still_gets_the_text_and_no_error(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=SPEECH_YAML, monkeypatch=monkeypatch) as bot:
        tg.forbid_voice(PRIVATE)
        bot.say("/voice on")
        await bot.replies(PRIVATE)
        bot.say("Скільки коштує участь?")
        await tg.wait_for(lambda: len(tg.calls_of("sendVoice", chat_id=PRIVATE)) == 1)
        bot.say("Дякую")
        texts = await bot.replies(PRIVATE, 3)
        assert texts == [UK("voice_on"), "echo: Скільки коштує участь?", "echo: Дякую"]  # no error notice between
        assert not tg.calls_of("sendVoice", chat_id=PRIVATE)[0].ok and tg.voices(PRIVATE) == []


async def test_only_group_admins_switch_voice_answers_on(tmp_path, tg, llm, monkeypatch):
    group = {"chat_id": GROUP, "chat_type": "supergroup"}
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=SPEECH_YAML, monkeypatch=monkeypatch) as bot:
        bot.say("/voice@dagi_bot on", user_id=3003, **group)
        assert await bot.replies(GROUP) == [UK("admins_voice")]
        bot.say("@dagi_bot привіт", user_id=3003, **group)
        await tg.wait_for(lambda: len(llm.chat_requests()) == 1 and len(tg.messages(GROUP)) == 2)
        assert llm.speech_requests() == [] and tg.voices(GROUP) == []

        tg.set_chat_member(GROUP, 3005, "administrator")
        bot.say("/voice@dagi_bot on", user_id=3005, **group)
        await tg.wait_for(lambda: UK("voice_on") in final_texts(tg, GROUP))


async def test_voice_on_without_a_speech_model_says_so(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=NO_TTS_YAML, monkeypatch=monkeypatch) as bot:
        bot.say("/voice on")
        assert await bot.replies(PRIVATE) == [UK("voice_tts_missing")]
        bot.say("/voice")
        assert (await bot.replies(PRIVATE, 2))[-1] == UK("voice_state_off")


# ---- limits


async def test_a_note_telegram_says_is_too_long_or_too_big_is_refused_without_downloading_it(
        tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=SPEECH_YAML, monkeypatch=monkeypatch,
                           voice_max_seconds=60) as bot:
        voice(tg, seconds=61)
        assert await bot.replies(PRIVATE) == [too_long(60)]
        voice(tg, seconds=20, file_size=30 * 1024 * 1024)
        assert (await bot.replies(PRIVATE, 2))[-1] == UK("voice_too_large", mb=20)
        assert tg.calls_of("getFile") == []
        assert llm.transcription_requests() == [] and llm.chat_requests() == []


async def test_a_file_longer_than_the_cap_that_claims_less_is_refused_after_probing(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=SPEECH_YAML, monkeypatch=monkeypatch,
                           voice_max_seconds=3) as bot:
        voice(tg, seconds=2, data=silence_ogg(6).data)
        assert await bot.replies(PRIVATE) == [too_long(3)]
        assert len(tg.calls_of("getFile")) == 1  # it had to be downloaded to find out
        assert llm.transcription_requests() == [] and llm.chat_requests() == []
        # Marked failed right after the notice went (the notice first: a user is never left without one).
        await tg.wait_for(lambda: user_rows(tmp_path)[0][1] == "failed")


async def test_the_daily_seconds_of_voice_run_out_with_a_clear_notice_and_usage_shows_them(
        tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=SPEECH_YAML, monkeypatch=monkeypatch,
                           voice_user_daily_seconds=5) as bot:
        llm.transcripts("Перше голосове.")
        voice(tg, seconds=3, data=silence_ogg(3).data)
        await bot.replies(PRIVATE)
        voice(tg, seconds=3, data=silence_ogg(3).data)
        notice = (await bot.replies(PRIVATE, 2))[-1]
        # "Your daily voice limit is 5 seconds; 3 seconds used today, …" (the rest says when it resets)
        head = UK("voice_quota_user", limit=span(UK, 5), used=span(UK, 3), at="\0", tz="", wait="").split("\0")[0]
        assert notice.startswith(head), notice
        assert len(llm.transcription_requests()) == 1  # the second note was not sent to the speech model
        assert len(llm.chat_requests()) == 1

        bot.say("/usage")
        usage = (await bot.replies(PRIVATE, 3))[-1]
        assert UK("voice_usage_line", used=span(UK, 3), limit=UK("voice_limit", span=span(UK, 5))) in usage


async def test_a_groups_daily_seconds_are_shared_by_its_members(tmp_path, tg, llm, monkeypatch):
    group = {"chat_id": GROUP, "chat_type": "supergroup"}
    async with running_bot(tmp_path, tg=tg, llm=llm, router_yaml=SPEECH_YAML, monkeypatch=monkeypatch,
                           voice_group_daily_seconds=5) as bot:
        bot.say("@dagi_bot привіт", user_id=3003, **group)
        await bot.replies(GROUP)
        bot_msg = tg.messages(GROUP)[0]["message_id"]
        llm.transcripts("Перше питання групи.")
        voice(tg, user_id=3003, seconds=3, data=silence_ogg(3).data, reply_to=bot_msg, **group)
        await tg.wait_for(lambda: len(llm.chat_requests()) == 2)
        voice(tg, user_id=3004, seconds=3, data=silence_ogg(3).data, reply_to=bot_msg, **group)
        head = UK("voice_quota_chat", limit=span(UK, 5), used=span(UK, 3), at="\0", tz="", wait="").split("\0")[0]
        await tg.wait_for(lambda: any(t.startswith(head) for t in final_texts(tg, GROUP)))
        assert len(llm.transcription_requests()) == 1  # another member's note, but the group's seconds are used up
