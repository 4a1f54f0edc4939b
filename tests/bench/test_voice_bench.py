"""bench/voice.py's pure parts: the sentences it speaks, how it scores transcripts, how it splits a voice turn."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from bench.voice_bot import STAGES, trace
from bench.voice_text import ENGLISH, UKRAINIAN, Heard, digits, normalise, score, wer
from bot.testing import Call
from router.testing.server import RecordedRequest


def test_the_sentence_sets_are_as_large_and_as_long_as_promised():
    assert len(set(ENGLISH)) >= 20 and len(set(UKRAINIAN)) >= 10
    assert all(6 <= len(s.split()) <= 15 for s in ENGLISH + UKRAINIAN)
    assert any(ch.isdigit() for s in ENGLISH for ch in s)  # some numbers are written as digits


@pytest.mark.parametrize(("said", "written"), [
    ("Helion, what is the difference between EcoMiner and BioMiner?",
     "helion what is the difference between ecominer and biominer"),
    ("Our DAO approved it with 60% of the votes.", "our dao approved it with 60 percent of the votes"),
    ("three hundred crates, forty-two jars", "300 crates 42 jars"),
    ("one two three", "1 2 3"),
    ("1,200 kg at 12.5 each.", "1200 kg at 12.5 each"),
    ("Партія сиру — до п’ятниці, «мед»!", "партія сиру до пятниці мед"),
])
def test_normalise_drops_case_punctuation_and_number_style(said, written):
    assert normalise(said) == written


def test_digits_keeps_other_words_in_place():
    assert digits(["batch", "seven", "of", "one", "hundred", "twenty", "three"]) == ["batch", "7", "of", "123"]


def test_wer_counts_recognition_errors_not_formatting():
    sentence = "We sold two hundred fifty jars of jam at the Saturday market."
    assert wer([sentence], ["we sold 250 jars of jam at the saturday market"]) == 0.0
    assert wer([sentence], ["We sold 250 jars of ham at the Saturday market."]) == pytest.approx(1 / 10)
    assert wer([sentence], [""]) == 1.0  # nothing heard: every word missed


def test_score_gives_real_time_factors_and_counts_marked_transcripts():
    heard = [Heard("one two three four", "1 2 3 4", False, "en", 4.0, 1.0),
             Heard("five six", "five", True, "en", 2.0, 2.0),
             Heard("seven eight", "", False, "", 2.0, 1.0)]
    s = score(heard)
    assert (s.rtf_p50, s.rtf_total) == (0.5, 0.5)  # per clip 0.25, 1.0, 0.5; all: 4 s of work for 8 s of audio
    assert (s.uncertain, s.empty, s.clips) == (1, 1, 3)
    assert s.wer == pytest.approx(3 / 8)


def test_a_traced_voice_turn_splits_into_the_bots_stages_and_the_fakes_time():
    chat, other = 71_000, 71_001
    calls = [Call("t", "getFile", {"file_id": f"voice{other}_1"}, 10.000),  # another chat's note: not ours
             Call("t", "getFile", {"file_id": f"voice{chat}_1"}, 10.002),
             Call("t", "sendMessage", {"chat_id": chat, "text": "🎙 hi\n\necho: hi"}, 10.030),
             Call("t", "sendVoice", {"chat_id": other}, 10.040),
             Call("t", "sendVoice", {"chat_id": chat}, 10.060)]
    tg = SimpleNamespace(calls=calls, served={f"voice/voice{other}_1.oga": 10.001, f"voice/voice{chat}_1.oga": 10.003})

    def req(path: str, at: float, done: float) -> RecordedRequest:
        return RecordedRequest(path, "POST", {}, {}, at=at, done_at=done)

    llm = SimpleNamespace(requests=[req("/v1/audio/transcriptions", 10.007, 10.012), req("/api/chat", 10.014, 10.027),
                                    req("/v1/audio/speech", 10.033, 10.050)])
    t = trace(tg, llm, chat, 10.001, 0, 0)  # duck-typed fakes: only .calls, .served and .requests are read
    assert len(t.stages) == len(STAGES)
    assert [round(s * 1000) for s in t.stages] == [1, 1, 4, 2, 3, 3, 10]
    assert round(t.model * 1000) == 5 + 13 + 17
    assert sum(t.stages) + t.model == pytest.approx(t.voice)  # the bot's own time + the fakes' = the wall time
    assert (round(t.transcript * 1000), round(t.text * 1000), round(t.voice * 1000)) == (29, 29, 59)
