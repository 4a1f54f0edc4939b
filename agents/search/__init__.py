"""Web search through a CrewAI crew on our router; the only package that imports crewai, and only after `load()`.

Importing this package (or `types`, `decide`, `runner`) costs nothing: CrewAI (~4 s, ~1 GB installed, the `search`
extra) is imported by `await load(data_dir)` in a worker thread, once, with its telemetry and tracing off and its
storage under `data_dir`.
"""
from __future__ import annotations

import asyncio
import importlib
import importlib.util
import os
import sys
import threading
from pathlib import Path

CREW_MODULE = "agents.search.crew"
_lock = threading.Lock()


def available() -> bool:
    """True when crewai is installed (the `search` extra)."""
    return importlib.util.find_spec("crewai") is not None


def configure(data_dir: Path) -> None:
    """Environment CrewAI reads at import: no telemetry, no tracing, its storage under `data_dir`/crewai."""
    os.environ["CREWAI_DISABLE_TELEMETRY"] = "true"
    os.environ["OTEL_SDK_DISABLED"] = "true"
    os.environ["CREWAI_TRACING_ENABLED"] = "false"
    # crewai_core.paths: appdirs' user_data_dir(CREWAI_STORAGE_DIR) — an absolute name is used as it is.
    os.environ.setdefault("CREWAI_STORAGE_DIR", str((data_dir / "crewai").resolve()))


def loaded() -> bool:
    """True once the crew (and with it crewai) is imported."""
    return CREW_MODULE in sys.modules


def _import(data_dir: Path) -> None:
    with _lock:
        if not loaded():
            configure(data_dir)
            importlib.import_module(CREW_MODULE)


async def load(data_dir: Path) -> None:
    """Import crewai and the crew once, off the event loop; ModuleNotFoundError without the `search` extra."""
    if not loaded():
        await asyncio.to_thread(_import, data_dir)
