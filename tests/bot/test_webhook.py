"""The webhook server on its own: a real aiohttp server, aiogram's dispatcher, the fake Bot API posting updates."""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import CallbackQuery, Message

from bot.settings import load_settings
from bot.testing import FakeTelegram
from bot.webhook.receiver import derived_secret
from bot.webhook.run import receive
from storage.db import Database, migrate, open_engine
from storage.models import utcnow
from storage.updates import UpdateInbox
from tests.conftest import API_TOKEN
from tests.services import free_port

TOKEN = "123456:AAwebhook-test-token-abcdef"
HELION = "777777:AAwebhook-helion-token-abcd"


@dataclass
class Handled:
    """What the dispatcher's handlers saw, and a gate that holds them (a slow model) until opened."""

    texts: list[str] = field(default_factory=list)
    gate: asyncio.Event = field(default_factory=asyncio.Event)
    finished: list[str] = field(default_factory=list)


def dispatcher(seen: Handled) -> Dispatcher:
    router = Router()

    @router.message()
    async def on_message(message: Message) -> None:
        seen.texts.append(message.text or "")
        await seen.gate.wait()
        await message.answer(f"echo: {message.text}")
        seen.finished.append(message.text or "")

    @router.callback_query()
    async def on_button(query: CallbackQuery) -> None:
        seen.texts.append(f"button {query.data}")
        await query.answer()

    dp = Dispatcher()
    dp.include_router(router)
    return dp


@dataclass
class Served:
    tg: FakeTelegram
    seen: Handled
    inbox: UpdateInbox
    url: str
    task: asyncio.Task[None]


@contextlib.asynccontextmanager
async def served(tmp: Path, tg: FakeTelegram, *, tokens: dict[str, str] | None = None, lease: float = 60.0,
                 before: UpdateInbox | None = None, **settings: object) -> AsyncIterator[Served]:
    """The webhook of one or more bots on a free port, their updates claimed in a SQLite file in `tmp`."""
    tokens = tokens or {"main": TOKEN}
    for token in tokens.values():
        if token not in tg._bots:
            tg.add_bot(token, f"bot{token[:6]}")
    api = TelegramAPIServer.from_base(tg.url)
    bots = {key: Bot(token, session=AiohttpSession(api=api)) for key, token in tokens.items()}
    port = free_port()
    values: dict[str, object] = dict(_env_file=None, webhook_url=f"http://127.0.0.1:{port}", webhook_host="127.0.0.1",
                                     webhook_port=port, pending_lease=lease)
    values.update(settings)
    db = Database(open_engine(f"sqlite:///{tmp}/updates.db"))
    await db.call(migrate, db.engine)
    inbox = UpdateInbox(db)
    seen, ready = Handled(), asyncio.Event()
    task = asyncio.create_task(receive(dispatcher(seen), bots, load_settings(**values), inbox, ready=ready.set,
                                       busy=lambda: None))
    try:
        await asyncio.wait_for(ready.wait(), 10)
        yield Served(tg, seen, inbox, f"http://127.0.0.1:{port}", task)
    finally:
        seen.gate.set()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        for b in bots.values():
            await b.session.close()
        await db.close()


def say(tg: FakeTelegram, text: str, chat_id: int = 1001, token: str = TOKEN) -> int:
    return tg.send_text(token, chat_id=chat_id, user_id=chat_id, text=text)


async def test_start_sets_each_bots_webhook_with_its_secret_the_update_types_and_connections(tmp_path, tg):
    async with served(tmp_path, tg, tokens={"main": TOKEN, "helion": HELION}, webhook_max_connections=12) as s:
        main, helion = tg.webhook_of(TOKEN), tg.webhook_of(HELION)
        assert main is not None and helion is not None
        assert main["url"] == f"{s.url}/telegram/main" and helion["url"] == f"{s.url}/telegram/helion"
        assert TOKEN.split(":")[1] not in main["url"]  # the path names the bot, never its token
        assert main["secret_token"] == derived_secret(TOKEN) != helion["secret_token"]
        assert TOKEN.split(":")[1] not in main["secret_token"]
        assert sorted(main["allowed_updates"]) == ["callback_query", "message"]  # exactly what the handlers use
        assert main["max_connections"] == 12 and main["drop_pending_updates"] is False
    assert tg.webhook_of(TOKEN) is not None, "a stopping replica leaves the webhook to the others"


async def test_a_configured_secret_is_used_for_every_bot(tmp_path, tg):
    async with served(tmp_path, tg, tokens={"main": TOKEN, "helion": HELION}, webhook_secret="s3cret_-x"):
        assert tg.webhook_of(TOKEN)["secret_token"] == tg.webhook_of(HELION)["secret_token"] == "s3cret_-x"


async def test_updates_are_answered_in_order_through_the_webhook(tmp_path, tg):
    async with served(tmp_path, tg) as s:
        s.seen.gate.set()
        for text in ("one", "two", "three"):
            say(tg, text)
        await tg.wait_for(lambda: len(tg.sent_texts(1001)) == 3)
        assert tg.sent_texts(1001) == ["echo: one", "echo: two", "echo: three"]
        assert tg.pending_updates(TOKEN) == 0  # every delivery acknowledged


async def test_a_wrong_or_missing_secret_is_refused_and_never_handled(tmp_path, tg, caplog):
    tg.auto_deliver = False
    async with served(tmp_path, tg) as s:
        s.seen.gate.set()
        uid = say(tg, "let me in")
        with caplog.at_level(logging.WARNING, logger="bot.webhook.receiver"):
            statuses = [await tg.post_update(TOKEN, uid, secret=secret) for secret in ("wrong", None, "", "x" * 64)]
        assert statuses == [401, 401, 401, 401]
        refused = [r for r in caplog.records if "without the right secret" in r.getMessage()]
        assert len(refused) == 1, "logged once a minute, not once a request"
        assert derived_secret(TOKEN) not in caplog.text and "wrong" not in caplog.text
        await asyncio.sleep(0.3)
        assert s.seen.texts == [] and tg.sent_texts(1001) == []
        # Refused deliveries claimed nothing: the genuine one is still handled.
        assert await tg.post_update(TOKEN, uid) == 200
        await tg.wait_for(lambda: tg.sent_texts(1001) == ["echo: let me in"])


async def test_an_update_delivered_twice_or_at_once_is_handled_once(tmp_path, tg):
    tg.auto_deliver = False
    async with served(tmp_path, tg) as s:
        s.seen.gate.set()
        first = say(tg, "once")
        assert await tg.post_update(TOKEN, first) == 200
        await tg.wait_for(lambda: tg.sent_texts(1001) == ["echo: once"])
        assert await tg.post_update(TOKEN, first) == 200  # Telegram's retry: acknowledged, not handled again
        second = say(tg, "twice at once", chat_id=1002)
        statuses = await asyncio.gather(*(tg.post_update(TOKEN, second) for _ in range(5)))
        assert statuses == [200] * 5
        await tg.wait_for(lambda: tg.sent_texts(1002) == ["echo: twice at once"])
        press = tg.press_button(TOKEN, chat_id=1002, user_id=1002, message_id=1, data="go")
        await asyncio.gather(tg.post_update(TOKEN, press), tg.post_update(TOKEN, press))
        await tg.wait_for(lambda: "button go" in s.seen.texts)
        await asyncio.sleep(0.3)
        assert s.seen.texts == ["once", "twice at once", "button go"]
        assert tg.sent_texts(1001) == ["echo: once"] and tg.sent_texts(1002) == ["echo: twice at once"]


async def test_updates_are_acknowledged_at_once_while_their_handling_goes_on(tmp_path, tg):
    tg.auto_deliver = False
    async with served(tmp_path, tg) as s:
        ids = [say(tg, f"question {i}", chat_id=2000 + i) for i in range(8)]
        statuses = await asyncio.gather(*(tg.post_update(TOKEN, uid) for uid in ids))
        assert statuses == [200] * 8  # while every handler still waits for its (gated) model
        await tg.wait_for(lambda: len(s.seen.texts) == 8)
        assert not any(tg.sent_texts(2000 + i) for i in range(8))
        s.seen.gate.set()
        await tg.wait_for(lambda: all(tg.sent_texts(2000 + i) == [f"echo: question {i}"] for i in range(8)))


async def test_updates_are_handled_in_arrival_order_whichever_claim_finishes_first(tmp_path, tg, monkeypatch):
    tg.auto_deliver = False
    async with served(tmp_path, tg) as s:
        s.seen.gate.set()
        claim = s.inbox.claim

        async def slow_first(bot: str, update_id: int, body: str) -> bool:
            if json.loads(body)["message"]["text"] == "first":
                await asyncio.sleep(0.3)  # e.g. a database connection that stalls
            return await claim(bot, update_id, body)
        monkeypatch.setattr(s.inbox, "claim", slow_first)
        first, second = say(tg, "first"), say(tg, "second")
        posted = asyncio.create_task(tg.post_update(TOKEN, first))
        await asyncio.sleep(0.05)
        assert await tg.post_update(TOKEN, second) == 200 and await posted == 200
        await tg.wait_for(lambda: len(tg.sent_texts(1001)) == 2)
        assert s.seen.texts == ["first", "second"]


async def test_a_stopping_webhook_finishes_the_updates_in_hand(tmp_path, tg):
    async with served(tmp_path, tg) as s:
        say(tg, "slow")
        await tg.wait_for(lambda: s.seen.texts == ["slow"])
        s.task.cancel()  # SIGTERM does the same through the stop event
        await asyncio.sleep(0.2)
        assert not s.task.done(), "the shutdown waits for the answer in progress"
        s.seen.gate.set()
        with contextlib.suppress(asyncio.CancelledError):
            await s.task
        assert tg.sent_texts(1001) == ["echo: slow"]
        assert await s.inbox.stale(["main"], lease=0) == []  # finished: nothing left for a takeover


async def test_an_update_a_dead_replica_took_is_handled_by_the_next_one(tmp_path, tg):
    tg.add_bot(TOKEN, "dagi_bot")
    uid = say(tg, "taken by a replica that died")
    db = Database(open_engine(f"sqlite:///{tmp_path}/updates.db"))
    await db.call(migrate, db.engine)
    earlier = UpdateInbox(db, clock=lambda: utcnow() - timedelta(minutes=5))
    body = json.dumps(tg._bot(TOKEN).history[uid])
    assert await earlier.claim("main", uid, body)  # claimed, acknowledged, never stored: then kill -9
    await db.close()
    tg._bot(TOKEN).updates.clear()  # Telegram had its 200: it never delivers this update again
    async with served(tmp_path, tg) as s:
        s.seen.gate.set()
        await tg.wait_for(lambda: tg.sent_texts(1001) == ["echo: taken by a replica that died"])
        assert s.seen.texts == ["taken by a replica that died"]


async def test_an_update_that_could_not_be_stored_is_refused_and_comes_again(tmp_path, tg, monkeypatch):
    async with served(tmp_path, tg) as s:
        s.seen.gate.set()
        claim, calls = s.inbox.claim, []

        async def flaky(bot: str, update_id: int, body: str) -> bool:
            calls.append(update_id)
            if len(calls) == 1:
                raise OSError("database is down")
            return await claim(bot, update_id, body)
        monkeypatch.setattr(s.inbox, "claim", flaky)
        say(tg, "again please")
        await tg.wait_for(lambda: tg.sent_texts(1001) == ["echo: again please"])
        assert [p.status for p in tg.webhook_posts] == [500, 200]


async def test_what_is_not_an_update_is_refused(tmp_path, tg):
    async with served(tmp_path, tg) as s:
        status = await tg.post_update(TOKEN, {"update_id": "x"}, url=f"{s.url}/telegram/main")
        assert status == 400 and s.seen.texts == []


async def test_the_fake_bot_api_refuses_polling_while_a_webhook_is_set(tg, bot):
    from aiogram.exceptions import TelegramConflictError

    tg.auto_deliver = False
    await bot.set_webhook("http://127.0.0.1:9/telegram/main", secret_token="abc")
    tg.send_text(API_TOKEN, chat_id=5, user_id=5, text="waiting")
    with pytest.raises(TelegramConflictError, match="webhook is active"):
        await bot.get_updates()
    info = await bot.get_webhook_info()
    assert info.url == "http://127.0.0.1:9/telegram/main" and info.pending_update_count == 1
    await bot.delete_webhook()
    assert [u.message.text for u in await bot.get_updates()] == ["waiting"]  # kept: not dropped


def test_several_bots_need_their_key_in_the_path(tmp_path):
    from base import ConfigError
    from bot.webhook.receiver import hooks

    settings = load_settings(_env_file=None, webhook_url="https://bot.example.com", webhook_path="/tg")
    bots = {"main": Bot(TOKEN), "helion": Bot(HELION)}
    with pytest.raises(ConfigError, match="WEBHOOK_PATH"):
        hooks(settings, bots)
    assert hooks(settings, {"main": bots["main"]})["main"].url == "https://bot.example.com/tg"


def test_polling_never_loads_the_webhook_server() -> None:
    """Start-up time is measured: the polling bot's imports leave the web server and aiogram's webhook out."""
    root = Path(__file__).resolve().parents[2]
    code = ("import sys, bot.app, bot.services; "
            "print(sorted(m for m in sys.modules if m.startswith(('bot.webhook.', 'aiogram.webhook'))))")
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "['bot.webhook.release']"
