"""llama.cpp's native log lines into Python logging, so they never land between chat lines on a terminal."""
from __future__ import annotations

import ctypes
import logging
from typing import Any

log = logging.getLogger("llama_cpp")
# ggml_log_level of the llama.cpp inside llama-cpp-python 0.3.x (its own _logger still maps the older numbering,
# which turns warnings such as `llama_kv_cache_iswa: using full-size SWA cache` into printed errors).
_LEVELS = {3: logging.INFO, 4: logging.WARNING}  # warn → INFO, error → WARNING; debug, info, continued → DEBUG
_installed: list[Any] = []  # keeps the ctypes callback alive: llama.cpp holds only its address


def route_native_logs(llama_cpp: Any) -> None:
    """Once per process: llama.cpp's notices go to the `llama_cpp` logger instead of straight to stderr."""
    if _installed:
        return

    @llama_cpp.llama_log_callback  # type: ignore[untyped-decorator]  # a ctypes CFUNCTYPE, untyped
    def callback(level: int, text: bytes, user_data: Any) -> None:
        try:
            log.log(_LEVELS.get(level, logging.DEBUG), "%s", text.decode("utf-8", "replace").rstrip())
        except Exception:  # noqa: BLE001 - called from C, also at interpreter exit: raising would only print noise
            pass

    llama_cpp.llama_log_set(callback, ctypes.c_void_p(0))
    _installed.append(callback)
