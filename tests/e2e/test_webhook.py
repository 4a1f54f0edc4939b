"""Webhook mode end to end: the fake Bot API posts updates to the bot's aiohttp server, as Telegram does."""
from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import aiohttp

from bot.testing import FakeTelegram
from router.testing import FakeLLM
from tests.e2e.processes import start_bot, stored, until
from tests.harness import TOKEN, running_bot
from tests.services import free_port

ROUTER = """
providers:
  ollama: {kind: ollama, base_url: "${OLLAMA_URL}", local: true, timeouts: {connect: 2, first_token: 60, total: 120}}
routes:
  chat: [ollama:qwen3:8b]
"""


def webhook(port: int) -> dict[str, object]:
    return dict(webhook_url=f"http://127.0.0.1:{port}", webhook_host="127.0.0.1", webhook_port=port)


def user_rows(database_url: str) -> list[tuple[str, str]]:
    sql = "select text, status from messages where role = 'user' order by id"
    return [(t, s) for t, s in stored(database_url, sql)]


def sqlite_of(tmp: Path) -> str:
    return f"sqlite:///{tmp}/dagi.db"  # the harness's database


async def test_a_message_is_answered_through_the_webhook_as_through_polling(tmp_path, tg, llm, monkeypatch):
    answer = " ".join(f"word{i}" for i in range(30))
    llm.reply(answer)
    llm.token_delay = 0.01
    port = free_port()
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, **webhook(port)) as bot:
        bot.say("Привіт, хто ти?")
        assert await bot.replies(1001) == [answer]
        assert [c.params["text"] for c in tg.calls_of("sendMessageDraft", chat_id=1001)], "streamed as drafts"
        assert llm.chat_requests()[-1].json["messages"][-1] == {"role": "user", "content": "Привіт, хто ти?"}
        assert not tg.calls_of("getUpdates"), "nothing polls in webhook mode"
        assert [p.status for p in tg.webhook_posts] == [200]
        hook = tg.webhook_of(TOKEN)
        assert hook is not None and hook["url"] == f"http://127.0.0.1:{port}/telegram/main"
        assert hook["secret_token"] and TOKEN.split(":")[1] not in hook["secret_token"]
        assert hook["max_connections"] == 40 and hook["drop_pending_updates"] is False
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/healthz") as health:
            assert health.status == 200  # the metrics' routes share the webhook's port
        await tg.wait_for(lambda: bool(tg.calls_of("setMyCommands")))  # start-up work runs once the webhook is set
    assert user_rows(sqlite_of(tmp_path)) == [("Привіт, хто ти?", "done")]


async def test_the_webhook_asks_for_the_update_types_polling_asks_for(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        bot.say("poll")
        await bot.replies(1001)
    polled = tg.calls_of("getUpdates")[-1].params["allowed_updates"]
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, **webhook(free_port())) as bot:
        await tg.wait_for(lambda: tg.webhook_of(TOKEN) is not None)
        assert sorted(tg.webhook_of(TOKEN)["allowed_updates"]) == sorted(polled)
        assert "callback_query" in polled and "message" in polled


async def test_a_wrong_or_missing_secret_is_refused_and_nothing_is_stored(tmp_path, tg, llm, monkeypatch):
    tg.auto_deliver = False
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, **webhook(free_port())) as bot:
        await tg.wait_for(lambda: tg.webhook_of(TOKEN) is not None)
        uid = bot.say("сюди без ключа")
        assert await tg.post_update(TOKEN, uid, secret="not-the-secret") == 401
        assert await tg.post_update(TOKEN, uid, secret=None) == 401
        await asyncio.sleep(0.5)
        assert tg.sent_texts(1001) == [] and not llm.chat_requests()
        assert user_rows(sqlite_of(tmp_path)) == []
        assert await tg.post_update(TOKEN, uid) == 200
        assert await bot.replies(1001) == ["echo: сюди без ключа"]


async def test_an_update_posted_twice_and_at_once_is_answered_once(tmp_path, tg, llm, monkeypatch):
    tg.auto_deliver = False
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, **webhook(free_port())) as bot:
        await tg.wait_for(lambda: tg.webhook_of(TOKEN) is not None)
        first = bot.say("раз")
        assert await tg.post_update(TOKEN, first) == 200
        assert await bot.replies(1001) == ["echo: раз"]
        assert await tg.post_update(TOKEN, first) == 200  # Telegram's retry of a delivered update
        second = bot.say("два", chat_id=1002, user_id=1002)
        assert await asyncio.gather(*(tg.post_update(TOKEN, second) for _ in range(4))) == [200] * 4
        assert await bot.replies(1002) == ["echo: два"]
        reset = bot.say("/reset", chat_id=1003, user_id=1003)  # a command stores no message to dedupe on
        await asyncio.gather(tg.post_update(TOKEN, reset), tg.post_update(TOKEN, reset))
        await bot.replies(1003)
        await asyncio.sleep(0.5)
        assert tg.sent_texts(1001) == ["echo: раз"] and tg.sent_texts(1002) == ["echo: два"]
        assert len(tg.sent_texts(1003)) == 1
        assert len(llm.chat_requests()) == 2


async def test_a_burst_is_acknowledged_before_the_model_answers(tmp_path, tg, llm, monkeypatch):
    tg.auto_deliver = False
    llm.token_delay = 0.05  # each answer streams for ~2 s
    chats = range(3001, 3011)
    for _ in chats:
        llm.reply(" ".join(f"token{i}" for i in range(40)))
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, **webhook(free_port())) as bot:
        await tg.wait_for(lambda: tg.webhook_of(TOKEN) is not None)
        ids = [bot.say(f"питання {c}", chat_id=c, user_id=c) for c in chats]
        statuses = await asyncio.gather(*(tg.post_update(TOKEN, uid) for uid in ids))
        assert statuses == [200] * len(ids)
        assert not any(tg.sent_texts(c) for c in chats), "every 200 came back before any answer"
        for c in chats:
            await bot.replies(c, timeout=30)
        assert all(len(tg.sent_texts(c)) == 1 for c in chats)


async def test_polling_after_webhook_mode_removes_the_webhook_and_keeps_its_pending_updates(tmp_path, tg, llm,
                                                                                           monkeypatch):
    port = free_port()
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, **webhook(port)) as bot:
        bot.say("через вебхук")
        assert await bot.replies(1001) == ["echo: через вебхук"]
    bot.say("поки нікого немає")  # Telegram keeps it for the webhook nobody answers now
    await asyncio.sleep(0.3)
    assert tg.pending_updates(TOKEN) == 1
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        assert await bot.replies(1001, 2) == ["echo: через вебхук", "echo: поки нікого немає"]
        deleted = tg.calls_of("deleteWebhook")
        assert len(deleted) == 1 and deleted[0].params.get("drop_pending_updates") is not True
        assert tg.webhook_of(TOKEN) is None


async def test_a_killed_webhook_replica_loses_nothing_and_answers_each_message_once(tmp_path: Path,
                                                                                   database_url: str) -> None:
    users = [2001, 2002]
    port = free_port()
    extra = {"WEBHOOK_URL": f"http://127.0.0.1:{port}", "WEBHOOK_HOST": "127.0.0.1", "WEBHOOK_PORT": str(port),
             "PENDING_LEASE": "2"}
    async with FakeTelegram() as tg, FakeLLM() as llm:
        tg.add_bot(TOKEN, "dagi_bot")
        llm.fail("hang", count=len(users))
        first = start_bot(tmp_path, tg, llm, ROUTER, extra, database_url=database_url)
        try:
            delivered = [tg.send_text(TOKEN, chat_id=u, user_id=u, text=f"питання {u}") for u in users]
            await until(lambda: len(llm.chat_requests()) >= len(users), first, tmp_path, 60)
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait()
        llm.release()
        later = tg.send_text(TOKEN, chat_id=2003, user_id=2003, text="поки бот лежить")  # retried until it is up
        await asyncio.sleep(0.5)
        assert tg.pending_updates(TOKEN) == 1 and not any(tg.sent_texts(u) for u in (*users, 2003))

        second = start_bot(tmp_path, tg, llm, ROUTER, extra, database_url=database_url)
        try:
            for uid in (*users, 2003):
                await until(lambda uid=uid: len(tg.sent_texts(uid)) >= 1, second, tmp_path, 60)
            for uid in (*delivered, later):  # Telegram delivering each again: acknowledged, never answered again
                assert await tg.post_update(TOKEN, uid) == 200
            # The dead replica's claims are taken over after the lease: the stored messages are not answered again.
            await until(lambda: _open_claims(database_url) == 0, second, tmp_path, 30)
            await asyncio.sleep(0.5)
        finally:
            second.send_signal(signal.SIGTERM)
            assert second.wait(timeout=30) == 0
        for uid in users:
            assert tg.sent_texts(uid) == [f"echo: питання {uid}"]
        assert tg.sent_texts(2003) == ["echo: поки бот лежить"]
        assert {s for _, s in user_rows(database_url)} == {"done"} and len(user_rows(database_url)) == 3
        assert tg.webhook_of(TOKEN) is not None, "a stopped replica leaves the webhook to the others"


def _open_claims(database_url: str) -> int:
    return int(stored(database_url, "select count(*) from processed_updates where not done")[0][0])
