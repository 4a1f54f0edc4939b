"""Multi-step flows on aiogram's FSM: a step past its time-out is no step; the storage is a setting."""
from __future__ import annotations

from typing import Any

import pytest
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import TelegramObject

from base import ConfigError
from bot.app import fsm_storage
from bot.flows.states import TIMEOUTS, Broadcast, FlowTimeouts, KbAdd, Ocr, begin, current, take
from bot.settings import load_settings


def context(storage: MemoryStorage | None = None, user: int = 3) -> FSMContext:
    return FSMContext(storage or MemoryStorage(), StorageKey(bot_id=1, chat_id=2, user_id=user))


async def test_a_step_is_taken_once_and_only_by_its_own_flow() -> None:
    state = context()
    await begin(state, Broadcast.confirm, id="deadbeef", admin=42)
    assert await current(state, KbAdd.file) is None and await take(state, Ocr.photo) is None
    assert await current(state, Broadcast.confirm) == {"id": "deadbeef", "admin": 42}
    assert await take(state, Broadcast.confirm) == {"id": "deadbeef", "admin": 42}
    assert await take(state, Broadcast.confirm) is None, "used up"
    assert await take(None, KbAdd.file) is None, "an update without a chat has no flow"


async def test_another_users_state_in_the_same_chat_is_their_own() -> None:
    storage = MemoryStorage()
    await begin(context(storage, user=3), KbAdd.file)
    assert await current(context(storage, user=4), KbAdd.file) is None


async def test_a_stale_state_past_its_time_out_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(TIMEOUTS, Ocr.photo, -1.0)  # timed out the moment it began
    state = context()
    await begin(state, Ocr.photo)
    assert await current(state, Ocr.photo) is None and await take(state, Ocr.photo) is None
    seen: dict[str, Any] = {}

    async def handler(event: TelegramObject, data: dict[str, Any]) -> None:
        seen.update(data)

    await FlowTimeouts()(handler, TelegramObject(), {"state": state, "raw_state": Ocr.photo.state})
    assert seen["raw_state"] is None, "filters such as StateFilter see no flow"
    assert await state.get_state() is None, "and the storage forgot it"


async def test_a_state_in_time_passes_the_middleware_untouched() -> None:
    state = context()
    await begin(state, KbAdd.file)
    seen: dict[str, Any] = {}

    async def handler(event: TelegramObject, data: dict[str, Any]) -> None:
        seen.update(data)

    await FlowTimeouts()(handler, TelegramObject(), {"state": state, "raw_state": KbAdd.file.state})
    assert seen["raw_state"] == KbAdd.file.state and await state.get_state() == KbAdd.file.state


def test_the_fsm_storage_setting_picks_memory_storage() -> None:
    assert load_settings(_env_file=None).fsm_storage == "memory"
    assert isinstance(fsm_storage(load_settings(_env_file=None, fsm_storage="memory")), MemoryStorage)
    with pytest.raises(ConfigError, match="FSM_STORAGE"):
        load_settings(_env_file=None, fsm_storage="redis")
