"""/metrics, /healthz and /readyz on METRICS_PORT of a running bot, against the fake Bot API and the fake LLM."""
from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine

from base.metrics import OFF, metrics
from router.testing import FakeLLM
from tests.harness import running_bot

PRICED = """
providers:
  ollama: {kind: ollama, base_url: "${OLLAMA_URL}", local: true, timeouts: {connect: 1, first_token: 3, total: 20},
           price: {input: 1000, output: 2000}}
  backup: {kind: openai, base_url: "${BACKUP_URL}", api_key_env: BACKUP_KEY,
           timeouts: {connect: 1, first_token: 3, total: 20}}
routes:
  chat: [ollama:qwen3:8b, backup:gpt-4o-mini]
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Endpoints:
    """HTTP client of one bot's metrics server."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"

    async def get(self, path: str) -> tuple[int, Any]:
        async with aiohttp.ClientSession() as http, http.get(self.base + path) as resp:
            body = await (resp.json() if resp.content_type == "application/json" else resp.text())
            return resp.status, body

    async def samples(self) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
        """Every sample of a scrape: (name, labels) → value."""
        status, text = await self.get("/metrics")
        assert status == 200
        return {(s.name, frozenset(s.labels.items())): s.value
                for family in text_string_to_metric_families(text) for s in family.samples}

    async def value(self, name: str, **labels: str) -> float:
        """The sum of `name` over the samples whose labels include `labels` (0 when there is none)."""
        want = set(labels.items())
        return sum(v for (n, ls), v in (await self.samples()).items() if n == name and want <= ls)


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if result := await check():
                return result
        except aiohttp.ClientConnectionError:  # the server is not up yet
            pass
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def test_an_answer_moves_the_counters_and_histograms(tmp_path, tg, llm, monkeypatch):
    port = free_port()
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, router_yaml=PRICED,
                           metrics_port=port, metrics_host="127.0.0.1") as bot:
        ep = Endpoints(port)
        assert await eventually(lambda: ep.get("/healthz")) == (200, {"status": "alive"})
        llm.reply("Привіт! Чим допомогти?")
        tg.fail_next("sendMessage", "429", retry_after=1)  # the answer waits it out and still arrives
        bot.say("Привіт")
        assert await bot.replies(1001) == ["Привіт! Чим допомогти?"]

        async def updated() -> bool:
            return await ep.value("dagi_updates_total", type="message", outcome="handled") == 1
        await eventually(updated)
        assert await ep.value("dagi_telegram_429_total", method="sendMessage") == 1
        for stage in ("queue", "model_first_token", "model_total", "delivery"):
            assert await ep.value("dagi_stage_seconds_count", stage=stage) == 1, stage
        assert await ep.value("dagi_stage_seconds_bucket", stage="delivery", le="+Inf") == 1
        assert await ep.value("dagi_model_calls_total", provider="ollama", model="qwen3:8b", task="chat",
                              outcome="ok", local="true") == 1
        assert await ep.value("dagi_model_calls_total", local="false") == 0  # the backup was not needed
        assert await ep.value("dagi_model_tokens_total", provider="ollama", direction="out") > 0
        assert await ep.value("dagi_model_cost_usd_total", provider="ollama") > 0
        assert await ep.value("dagi_model_in_flight", provider="ollama") == 0  # the call ended
        assert await ep.value("dagi_circuit_state", provider="ollama", model="qwen3:8b") == 0
        assert await ep.value("dagi_pending_messages") == 0
        assert await ep.get("/readyz") == (200, {"status": "ready",
                                                 "checks": {"database": "ok", "chat_targets": "ok"}})
    assert metrics() is OFF  # the bot stopped: nothing reports to its registry any more


async def test_an_open_breaker_shows_2_and_readyz_fails_once_no_chat_target_is_left(tmp_path, tg, llm, monkeypatch):
    port = free_port()
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, metrics_port=port,
                           metrics_host="127.0.0.1", ollama_url=FakeLLM.refusing_url(),
                           backup_url=FakeLLM.refusing_url()) as bot:
        ep = Endpoints(port)
        assert await eventually(lambda: ep.get("/readyz")) == (200, {"status": "ready",
                                                                     "checks": {"database": "ok",
                                                                                "chat_targets": "ok"}})
        for i in range(3):  # the default policy opens a circuit after 3 failures in a row
            bot.say(f"Є хто? {i}")
            await bot.replies(1001, n=i + 1)
        assert await ep.value("dagi_circuit_state", provider="ollama", model="qwen3:8b") == 2
        assert await ep.value("dagi_circuit_state", provider="backup", model="gpt-4o-mini") == 2
        assert await ep.value("dagi_model_calls_total", provider="ollama", outcome="ok") == 0
        assert await ep.value("dagi_model_calls_total", provider="ollama") == 3
        status, body = await ep.get("/readyz")
        assert status == 503 and body["status"] == "not ready" and body["checks"]["database"] == "ok"
        assert "ollama:qwen3:8b circuit open" in body["checks"]["chat_targets"]
        assert "backup:gpt-4o-mini circuit open" in body["checks"]["chat_targets"]
        assert (await ep.get("/healthz"))[0] == 200  # alive all the same: restarting would not bring a model back


async def test_readyz_is_503_while_the_database_is_gone(tmp_path, tg, llm, monkeypatch):
    port = free_port()
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch, metrics_port=port,
                           metrics_host="127.0.0.1") as bot:
        ep = Endpoints(port)
        assert (await eventually(lambda: ep.get("/readyz")))[0] == 200
        db = bot.services.store.db
        engine, db.engine = db.engine, create_engine(f"sqlite:///{tmp_path}/missing/folder/dagi.db")
        try:
            status, body = await ep.get("/readyz")
            assert status == 503 and body["status"] == "not ready"
            assert body["checks"]["database"] == "unreachable (OperationalError)"
            assert body["checks"]["chat_targets"] == "ok"  # the breakers still tell, without the database
            assert (await ep.get("/metrics"))[0] == 200  # a scrape still answers, with the last pending count
        finally:
            db.engine.dispose()
            db.engine = engine
        assert (await ep.get("/readyz"))[0] == 200


async def test_without_metrics_port_nothing_is_installed_or_served(tmp_path, tg, llm, monkeypatch):
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        llm.reply("Так.")
        bot.say("Працюєш?")
        assert await bot.replies(1001) == ["Так."]
        assert metrics() is OFF and bot.services.observed is None
