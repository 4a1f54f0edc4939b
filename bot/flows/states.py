"""Multi-step flows as aiogram FSM states, each with its time-out.

`/kb add` → the next file, `/ocr` → the next photo, a broadcast preview → its Send/Cancel buttons.
A state belongs to one user in one chat and forum topic (FSMStrategy.USER_IN_TOPIC, set in bot/app.py),
lives in the storage FSM_STORAGE names (memory, or Redis with REDIS_URL: shared by replicas), and
ends when used, when another flow starts, or at its time-out: FlowTimeouts clears a state past its
time-out before any filter looks, so an expired flow acts exactly as no flow.
"""
from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import TelegramObject

_UNTIL = "until"  # wall-clock seconds: a state in a shared storage outlives the process that set it


class KbAdd(StatesGroup):
    """`/kb add` was sent: the user's next file here goes to the chat's knowledge base."""

    file = State()


class Ocr(StatesGroup):
    """`/ocr` was sent: the user's next photo here is read as a document."""

    photo = State()


class Broadcast(StatesGroup):
    """A broadcast preview waits for its admin's Send or Cancel."""

    confirm = State()


TIMEOUTS: dict[State, float] = {  # seconds each step waits (tests shorten them)
    KbAdd.file: 600.0,
    Ocr.photo: 600.0,
    Broadcast.confirm: 3600.0,
}


def _expired(data: dict[str, Any]) -> bool:
    return float(data.get(_UNTIL, 0.0)) < time.time()


async def begin(state: FSMContext, step: State, **data: Any) -> None:
    """Enter `step` for its time-out, keeping `data` (JSON-friendly values: the storage may be Redis)."""
    await state.set_state(step)
    await state.set_data({**data, _UNTIL: time.time() + TIMEOUTS[step]})


async def current(state: FSMContext | None, step: State) -> dict[str, Any] | None:
    """The data of `step` when the flow is at it and in time; None otherwise."""
    if state is None or await state.get_state() != step.state:
        return None
    data = await state.get_data()
    return None if _expired(data) else {k: v for k, v in data.items() if k != _UNTIL}


async def take(state: FSMContext | None, step: State) -> dict[str, Any] | None:
    """Like `current`, and the flow ends: the step is used up."""
    data = await current(state, step)
    if data is not None and state is not None:
        await state.clear()
    return data


class FlowTimeouts(BaseMiddleware):
    """Clears a state past its time-out before handlers see it (outer, after aiogram's FSM middleware)."""

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        state: FSMContext | None = data.get("state")
        if data.get("raw_state") is not None and state is not None and _expired(await state.get_data()):
            await state.clear()
            data["raw_state"] = None
        return await handler(event, data)
