"""router.yaml's in-process speech providers: whisper, piper and espeak, typed, validated and built."""
from __future__ import annotations

from pathlib import Path

import pytest

from base import ConfigError
from router.config import build_router, load_router_config, missing_setting
from router.providers.espeak_tts import EspeakProvider
from router.providers.piper_tts import PiperProvider
from router.providers.whisper import WhisperProvider
from router.timeouts import Timeouts

SPEECH = """
providers:
  ollama:  {kind: ollama, base_url: http://127.0.0.1:11434}
  whisper: {kind: whisper, max_concurrency: 2, threads: 1, timeouts: {total: 120}}
  piper:   {kind: piper, voices: {en: auto}}
  espeak:  {kind: espeak, voices: {uk: uk, en: en-gb}, rate: 150}
routes:
  chat: [ollama:qwen3:8b]
  stt: [whisper:base, whisper:tiny.en]
  tts: [piper:joe, espeak:default]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "router.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_speech_providers_are_built_from_their_settings(tmp_path: Path) -> None:
    config = load_router_config(write(tmp_path, SPEECH), {})
    assert all(missing_setting(config.providers[name], {}) is None for name in ("whisper", "piper", "espeak"))
    router = build_router(config, {}, data_dir=tmp_path / "data")
    whisper, piper, espeak = (router.providers[n] for n in ("whisper", "piper", "espeak"))
    assert isinstance(whisper, WhisperProvider) and whisper.local
    assert (whisper.max_concurrency, whisper.threads, whisper.data_dir) == (2, 1, tmp_path / "data")
    assert whisper.timeouts == Timeouts(total=120)
    assert isinstance(piper, PiperProvider) and piper.voices == {"en": "auto"}
    assert isinstance(espeak, EspeakProvider) and (espeak.voices, espeak.rate) == ({"uk": "uk", "en": "en-gb"}, 150)
    assert not (tmp_path / "data").exists()  # nothing assembled or loaded until the first voice note


def test_defaults(tmp_path: Path) -> None:
    text = SPEECH.replace("{kind: whisper, max_concurrency: 2, threads: 1, timeouts: {total: 120}}", "{kind: whisper}")
    text = text.replace("{kind: espeak, voices: {uk: uk, en: en-gb}, rate: 150}", "{kind: espeak}")
    router = build_router(load_router_config(write(tmp_path, text), {}), {}, data_dir=tmp_path)
    whisper, espeak = router.providers["whisper"], router.providers["espeak"]
    assert isinstance(whisper, WhisperProvider) and (whisper.max_concurrency, whisper.threads) == (1, 2)
    assert isinstance(espeak, EspeakProvider)
    assert (espeak.binary, espeak.voices, espeak.rate) == ("espeak-ng", {"uk": "uk", "en": "en-us"}, None)


@pytest.mark.parametrize(("old", "new", "where"), [
    ("max_concurrency: 2", "max_concurrency: 0", "providers.whisper.max_concurrency"),
    ("threads: 1", "thread: 1", "providers.whisper.thread"),
    ("voices: {en: auto}", "voices: [auto]", "providers.piper.voices"),
])
def test_mistakes_name_the_key_as_written(tmp_path: Path, old: str, new: str, where: str) -> None:
    path = write(tmp_path, SPEECH.replace(old, new))
    with pytest.raises(ConfigError) as info:
        load_router_config(path, {})
    assert f": {where}: " in str(info.value), str(info.value)
