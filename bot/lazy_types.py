"""Build aiogram's ~400 pydantic models on first use instead of all at import.

aiogram.types ends by calling `model_rebuild()` on every Bot API type, which builds every
validator up front: 2.9 s and ~190 MB RSS on import (measured, pydantic 2.12). The models are
declared with `defer_build=True`, so we skip that loop; the names the loop would have passed
(the types each module imports only under TYPE_CHECKING) are added to those modules instead,
so pydantic resolves them whenever it builds a model on first use — also inside generics such
as aiogram's `Response[T]`. The bot process then starts at ~100 MB instead of ~250 MB.
"""
from __future__ import annotations

import gc
import sys
from typing import Any

from pydantic import BaseModel

_ORIGINAL = BaseModel.model_rebuild.__func__  # type: ignore[attr-defined]  # mypy's bound method has no __func__
_NAMESPACE: dict[str, Any] = {}


def _lazy_rebuild(cls: type[BaseModel], *args: Any, _types_namespace: dict[str, Any] | None = None,
                  **kwargs: Any) -> None:
    if _types_namespace is None:  # not aiogram's loop: behave as usual
        return _ORIGINAL(cls, *args, **kwargs)
    _NAMESPACE.update(_types_namespace)
    return None


def install() -> None:
    """Import aiogram.types with lazy model building (no-op if it was imported already)."""
    if "aiogram.types" in sys.modules:
        return
    BaseModel.model_rebuild = classmethod(_lazy_rebuild)  # type: ignore[method-assign,assignment]  # patched on purpose
    collecting = gc.isenabled()
    gc.disable()  # the import makes ~90 k long-lived objects: collections there free nothing and only cost time
    try:
        import aiogram.types  # noqa: F401 - the import is the point
    finally:
        BaseModel.model_rebuild = classmethod(_ORIGINAL)  # type: ignore[method-assign,assignment]  # restored
        if collecting:
            gc.enable()
    for name, module in list(sys.modules.items()):
        if name.startswith("aiogram.types.") and module is not None:
            for key, value in _NAMESPACE.items():
                module.__dict__.setdefault(key, value)


class _KeptGenerics(dict[Any, Any]):
    """pydantic's cache of parametrised generic models, holding them strongly (its own holds them weakly)."""


def keep_generic_models() -> bool:
    """Keep every parametrised generic model (aiogram's `Response[T]`) once built, for this task and its children.

    pydantic 2.12 caches them weakly, in a ContextVar that starts empty: each update task rebuilt
    `Response[T]` for every API call (~20 ms CPU, found with bench/overhead.py and a profiler).
    aiogram parametrises `Response` with a fixed set of return types, so a plain dict stays small.
    False if this pydantic has no such cache (the caller then keeps the models itself).
    """
    try:
        from pydantic._internal import _generics  # private, hence the check and the caller's fallback
        cache = _generics._GENERIC_TYPES_CACHE
    except (ImportError, AttributeError):
        return False
    if not isinstance(cache.get(), _KeptGenerics):
        cache.set(_KeptGenerics(cache.get() or {}))  # type: ignore[arg-type]  # a dict in place of its weak one
    return True
