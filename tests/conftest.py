"""Test-wide guard: nothing may reach beyond this machine."""
from __future__ import annotations

import ipaddress
import socket

import pytest

from bot.testing import FakeTelegram
from router.testing import FakeLLM

# Real Postgres and Redis (throwaway servers from Debian's packages): postgres_url, redis_url, database_url.
pytest_plugins = ("tests.services",)

_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex


def _check(address: object) -> None:
    if isinstance(address, (str, bytes)):  # unix socket
        return
    host = address[0] if isinstance(address, tuple) else None
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        if host == "localhost":
            return
    raise OSError(f"test tried to reach {address!r}: tests must stay on 127.0.0.1")


def _guarded_connect(self: socket.socket, address: object) -> None:
    _check(address)
    return _connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    _check(address)
    return _connect_ex(self, address)


@pytest.fixture(autouse=True, scope="session")
def no_internet() -> None:
    """Fail any connection to a non-loopback address."""
    socket.socket.connect = _guarded_connect
    socket.socket.connect_ex = _guarded_connect_ex


@pytest.fixture
async def tg():
    """A fake Telegram Bot API server on 127.0.0.1."""
    async with FakeTelegram() as fake:
        yield fake


API_TOKEN = "123456:AAtest"  # the token the `bot` fixture talks to the fake Bot API with


@pytest.fixture
async def bot(tg: FakeTelegram):
    """A real aiogram Bot on the fake Bot API (its token registered as @dagi_bot)."""
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer

    tg.add_bot(API_TOKEN, "dagi_bot")
    b = Bot(API_TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(tg.url)))
    yield b
    await b.session.close()


@pytest.fixture
async def llm():
    """A fake Ollama/OpenAI server on 127.0.0.1."""
    async with FakeLLM() as fake:
        yield fake
