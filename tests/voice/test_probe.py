"""Audio before a model hears it: real recordings pass with their format and length; every kind of bad input is
refused with its reason, and no bytes make anything but AudioRejected escape."""
from __future__ import annotations

import io
import random
import struct
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image as PILImage

from router.providers._opus import encode_ogg_opus
from router.testing.speech import long_silence, silence_ogg, spoken_ogg, tone_file, tone_ogg
from router.types import Audio
from voice.probe import AudioRejected, probe

ROOT = Path(__file__).resolve().parents[2]
MAX = 300.0  # VOICE_MAX_SECONDS' default
CAP = 20 * 1024 * 1024  # the bytes the bot passes on Telegram's cloud Bot API (FileLimits.audio)


def rejected(data: bytes, max_seconds: float = MAX, max_bytes: int = CAP) -> AudioRejected:
    with pytest.raises(AudioRejected) as err:
        probe(data, max_seconds=max_seconds, max_bytes=max_bytes)
    return err.value


def sine(seconds: float, rate: int) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (np.sin(2 * np.pi * 440 * t) * 8000).astype(np.int16)


class _Unseekable:
    """A write-only file: muxers cannot go back to write the length into the header (like a browser's recorder)."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, chunk: bytes) -> int:
        self.data += bytes(chunk)
        return len(chunk)


def encoded(fmt: str, codec: str, seconds: float = 2.0, *, rate: int = 16_000, video: bool = False,
            seekable: bool = True) -> bytes:
    """`seconds` of a tone as FFmpeg's `fmt` muxer writes it with `codec` (plus a small video track if asked)."""
    if codec not in av.codecs_available:
        pytest.skip(f"this FFmpeg has no {codec} encoder")
    if seekable:
        return tone_file(fmt, codec, seconds, rate=rate, video=video)
    out = _Unseekable()
    tone_file(fmt, codec, seconds, rate=rate, video=video, out=out)  # type: ignore[arg-type]  # write() suffices
    return bytes(out.data)


def long_opus(seconds: float, fmt: str = "ogg", *, seekable: bool = True) -> bytes:
    """A real `seconds`-long Opus recording of silence, in a file that can seek back to its header or cannot."""
    if seekable:
        return long_silence(seconds, fmt)
    out = _Unseekable()
    long_silence(seconds, fmt, out)  # type: ignore[arg-type]  # write() is all the muxer needs
    return bytes(out.data)


def wav(tag: int, payload: bytes, rate: int = 8000) -> bytes:
    """A RIFF/WAVE file whose fmt chunk names codec `tag` (1 = PCM) over `payload`."""
    fmt = struct.pack("<HHIIHH", tag, 1, rate, rate * 2, 2, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(payload)) + payload
    return b"RIFF" + struct.pack("<I", len(body)) + body


@pytest.fixture(scope="module")
def speech() -> Audio:
    """An English sentence spoken by espeak-ng, as the OGG/Opus voice note Telegram sends."""
    return spoken_ogg("Good morning. Please remind me to water the tomatoes at six in the evening.")


# ---- accepted


def test_a_voice_note_of_speech_passes_as_ogg_with_its_real_length(speech: Audio) -> None:
    audio = probe(speech.data, max_seconds=MAX, max_bytes=CAP)
    assert audio.format == "ogg" and audio.data == speech.data
    assert speech.seconds > 3 and abs(audio.seconds - speech.seconds) <= 0.3


@pytest.mark.parametrize("seconds", [1.0, 7.5, 61.0])
def test_tone_and_silence_are_audio_of_their_length(seconds: float) -> None:
    for made in (tone_ogg(seconds), silence_ogg(seconds)):  # silence is audio: "no speech" is the model's call
        audio = probe(made.data, max_seconds=MAX, max_bytes=CAP)
        assert abs(audio.seconds - seconds) <= 0.3, (seconds, audio.seconds)


def test_opus_at_any_input_rate_measures_right() -> None:
    data, seconds = encode_ogg_opus(sine(4.2, 22_050), 22_050)
    assert abs(probe(data, max_seconds=MAX, max_bytes=CAP).seconds - seconds) <= 0.3


@pytest.mark.parametrize(("fmt", "codec", "video", "upload"), [
    ("mp3", "libmp3lame", False, "mp3"),
    ("wav", "pcm_s16le", False, "wav"),
    ("flac", "flac", False, "flac"),
    ("ipod", "aac", False, "m4a"),  # an iPhone voice memo
    ("mp4", "aac", True, "mp4"),  # a round video note keeps "mp4"
    ("webm", "libopus", False, "webm"),  # a browser's recording
])
def test_other_audio_files_pass_with_a_format_speech_apis_take(fmt: str, codec: str, video: bool, upload: str) -> None:
    rate = 48_000 if codec == "libopus" else 16_000
    audio = probe(encoded(fmt, codec, 3.0, rate=rate, video=video), max_seconds=MAX, max_bytes=CAP)
    assert audio.format == upload
    assert abs(audio.seconds - 3.0) <= 0.3


def test_a_recording_whose_header_has_no_length_is_measured() -> None:
    data = encoded("webm", "libopus", 2.5, rate=48_000, seekable=False)
    with av.open(io.BytesIO(data)) as container:
        assert not container.duration  # the case under test: nothing in the file says how long it is
    assert abs(probe(data, max_seconds=MAX, max_bytes=CAP).seconds - 2.5) <= 0.3


def test_the_cap_counts_whole_seconds_as_telegram_shows_them() -> None:
    audio = probe(long_opus(300.1), max_seconds=MAX, max_bytes=CAP)  # "5:00" on the user's screen
    assert 299.5 < audio.seconds < 300.5


# ---- refused


def test_too_large_before_anything_is_parsed(speech: Audio) -> None:
    assert rejected(b"\0" * (CAP + 1)).reason == "too_large"
    assert rejected(speech.data, max_bytes=len(speech.data) - 1).reason == "too_large"
    assert probe(speech.data, max_seconds=MAX, max_bytes=len(speech.data)).seconds > 3


def test_empty_files_and_files_without_sound_frames() -> None:
    assert rejected(b"").reason == "empty"
    assert rejected(wav(1, b"")).reason == "empty"  # a valid WAV header and no samples


def png() -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", (64, 64), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize("make", [
    png,  # "voice.ogg" that is really a picture
    lambda: random.Random(15).randbytes(50_000),
    lambda: b"OggS" + random.Random(16).randbytes(8_000),  # OGG's magic, then garbage
    lambda: spoken_ogg("Hello there.").data[:60],  # cut inside its header pages
    lambda: b"Just some text, not a recording.\n" * 100,
    lambda: b"\0" * 4096,
], ids=["png", "random", "ogg-magic-garbage", "ogg-headers-only", "text", "zeros"])
def test_not_audio(make) -> None:
    assert rejected(make()).reason == "not_audio"


def test_a_video_without_a_sound_track_is_not_audio() -> None:
    out = io.BytesIO()
    with av.open(out, mode="w", format="mp4") as container:
        picture = container.add_stream("mpeg4", rate=25)
        picture.width = picture.height = 64
        picture.pix_fmt = "yuv420p"
        for i in range(10):
            still = av.VideoFrame.from_ndarray(np.zeros((64, 64, 3), np.uint8), format="rgb24")
            still.pts = i
            container.mux(picture.encode(still))
        container.mux(picture.encode(None))
    assert rejected(out.getvalue()).reason == "not_audio"


def test_a_codec_this_ffmpeg_cannot_decode_is_unsupported() -> None:
    assert rejected(wav(0x1234, b"\1\2" * 8000)).reason == "unsupported"


def test_sound_that_fails_to_decode_is_unsupported() -> None:
    garbage_mp3_in_wav = wav(0x0055, random.Random(17).randbytes(16_000))  # WAVE tag 0x55 says MP3 inside
    assert rejected(garbage_mp3_in_wav).reason == "unsupported"


def test_audio_in_a_container_no_speech_api_takes_is_unsupported() -> None:
    err = rejected(encoded("adts", "aac", 2.0))  # a raw .aac stream: real audio, but not a file type APIs accept
    assert err.reason == "unsupported"


def test_too_long_by_a_second() -> None:
    err = rejected(long_opus(302))
    assert err.reason == "too_long" and err.seconds > MAX


def test_a_two_hour_voice_note_is_refused_from_its_header() -> None:
    err = rejected(long_opus(7200))
    assert err.reason == "too_long"
    assert err.seconds == pytest.approx(7200, abs=1)  # the length the file states: nothing was decoded to find it


def test_a_two_hour_recording_without_a_stated_length_is_read_only_past_the_cap() -> None:
    data = long_opus(7200, "webm", seekable=False)
    err = rejected(data)
    assert err.reason == "too_long"
    assert MAX < err.seconds < MAX + 5  # reading stopped just past the cap, not two hours in


def test_the_cap_is_the_callers() -> None:
    data = tone_ogg(12).data
    assert rejected(data, max_seconds=10).reason == "too_long"
    assert probe(data, max_seconds=15, max_bytes=CAP).seconds == pytest.approx(12, abs=0.3)


# ---- robustness


def test_no_bytes_make_anything_but_audio_rejected_escape(speech: Audio) -> None:
    rng = random.Random(1515)
    good = speech.data
    samples: list[bytes] = [good[:n] for n in range(0, len(good), max(1, len(good) // 60))]
    for _ in range(150):
        damaged = bytearray(good)
        for _ in range(rng.randrange(1, 30)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        samples.append(bytes(damaged))
        start = rng.randrange(len(good))
        samples.append(good[:start] + rng.randbytes(rng.randrange(1, 400)) + good[start + rng.randrange(400):])
        samples.append(rng.randbytes(rng.randrange(1, 3000)))
    mp3 = encoded("mp3", "libmp3lame", 2.0)
    samples += [mp3[: len(mp3) * k // 10] for k in range(1, 10)]
    outcomes: set[str] = set()
    for data in samples:
        try:
            audio = probe(data, max_seconds=MAX, max_bytes=CAP)
        except AudioRejected as e:
            outcomes.add(e.reason)
        else:
            outcomes.add("ok")
            assert audio.seconds <= speech.seconds + 0.3 or audio.format == "mp3"
    assert {"ok", "not_audio"} <= outcomes  # the damage really was varied: some survived, some did not


def test_importing_voice_loads_no_ffmpeg() -> None:
    """Bot start-up time is measured: PyAV loads with the first voice note."""
    code = "import sys, voice.probe, voice.speakable; assert 'av' not in sys.modules, 'av imported'"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
