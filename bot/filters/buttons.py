"""Callback query filters beyond aiogram's `Factory.filter()`."""
from __future__ import annotations

from aiogram.filters import BaseFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery


class ButtonOf(BaseFilter):
    """Any button of a CallbackData family, by its prefix, whether its data parses or not (forged, stale)."""

    def __init__(self, factory: type[CallbackData]) -> None:
        self.prefix = factory.__prefix__ + factory.__separator__

    async def __call__(self, query: CallbackQuery) -> bool:
        return (query.data or "").startswith(self.prefix)
