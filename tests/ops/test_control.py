"""Reload, targets on/off and agent routes as admin actions, and the health job's event rows (real SQLite, fake LLM)."""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from sqlalchemy import select

from agents.persona import load_personas
from ops.access import AccessControl
from ops.control import keep_in_sync, reload, restore, set_route, set_target
from ops.health import health_check, latest
from ops.services import Ops, OpsSettings
from router.config import build_router, load_router_config
from router.testing import FakeLLM
from router.types import ChatMessage, ChatRequest
from storage.models import ProviderEvent
from storage.people import PeopleStore
from storage.store import open_store
from storage.usage import UsageLedger

ROOT = Path(__file__).resolve().parents[2]
ROUTER = """
providers:
  ollama: {kind: ollama, base_url: "${OLLAMA_URL}", local: true, timeouts: {connect: 1, first_token: 3, total: 20}}
  backup: {kind: openai, base_url: "${BACKUP_URL}", api_key_env: BACKUP_KEY}
routes:
  chat: [ollama:qwen3:8b, backup:gpt-4o-mini]
"""
BACKUP_FIRST = ROUTER.replace("chat: [ollama:qwen3:8b, backup:gpt-4o-mini]",
                              "chat: [backup:gpt-4o-mini, ollama:qwen3:8b]")
GREETING = "Вітаю. Я Helion, агент платформи Energy Union."


@contextlib.asynccontextmanager
async def opened(tmp: Path, llm: FakeLLM, *, ollama_url: str | None = None, url: str | None = None
                 ) -> AsyncIterator[Ops]:
    """Ops as the bot builds it, over files in `tmp` (written unless already there) and a database at `url`
    (default: a SQLite file there)."""
    agents, router_file = tmp / "agents.yaml", tmp / "router.yaml"
    if not agents.exists():
        agents.write_text((ROOT / "config" / "agents.yaml").read_text())
    if not router_file.exists():
        router_file.write_text(ROUTER)
    env = {"OLLAMA_URL": ollama_url or llm.url, "BACKUP_URL": llm.openai_url, "BACKUP_KEY": "sk-test-key-1234567890"}
    store = await open_store(url or f"sqlite:///{tmp}/dagi.db")
    ledger = UsageLedger(store.db)
    router = build_router(load_router_config(router_file, env), env, data_dir=tmp, ledger=ledger)
    people = PeopleStore(store.db)
    settings = OpsSettings(owners=(42,), agents_file=agents, router_file=router_file, data_dir=tmp)
    ops = Ops(settings, store, ledger, router, load_personas(agents), people, AccessControl(people, owners=(42,)),
              env=env)
    await restore(ops)
    try:
        yield ops
    finally:
        await router.aclose()
        await store.close()


async def answer(ops: Ops, text: str = "hi", agent: str = "helion") -> tuple[str, str]:
    deltas = [d async for d in ops.router.stream(ChatRequest(messages=(ChatMessage("user", text),), agent=agent))]
    return "".join(d.text for d in deltas), deltas[-1].provider


async def test_reload_with_a_broken_agents_file_keeps_the_old_personas(tmp_path: Path, llm: FakeLLM) -> None:
    async with opened(tmp_path, llm) as ops:
        personas, providers = ops.personas, dict(ops.router.providers)
        text = (tmp_path / "agents.yaml").read_text()
        (tmp_path / "agents.yaml").write_text(text.replace("temperature: 0.3", "temperature: 9", 1))
        result = await reload(ops, grace=0)
        assert not result.ok
        assert "agents.yaml" in result.error and "temperature" in result.error
        assert ops.personas is personas and ops.personas.get("helion").greeting.uk.startswith(GREETING)
        assert ops.router.providers == providers, "the router was not touched either"
        assert await answer(ops) == ("echo: hi", "ollama")


async def test_reload_with_a_broken_router_file_keeps_the_old_router(tmp_path: Path, llm: FakeLLM) -> None:
    async with opened(tmp_path, llm) as ops:
        providers = dict(ops.router.providers)
        (tmp_path / "router.yaml").write_text(ROUTER.replace("kind: ollama", "kind: olama"))
        result = await reload(ops, grace=0)
        assert not result.ok
        assert "router.yaml" in result.error and "providers.ollama.kind" in result.error and "line 3" in result.error
        assert ops.router.providers == providers
        assert await answer(ops) == ("echo: hi", "ollama")


async def test_a_valid_edit_is_seen_by_every_holder_of_the_old_objects(tmp_path: Path, llm: FakeLLM) -> None:
    async with opened(tmp_path, llm) as ops:
        personas, router = ops.personas, ops.router
        text = (tmp_path / "agents.yaml").read_text().replace(GREETING, "Привіт! Я оновлений Helion.", 1)
        (tmp_path / "agents.yaml").write_text(text)
        (tmp_path / "router.yaml").write_text(BACKUP_FIRST)
        result = await reload(ops, grace=0)
        assert (result.ok, result.agents, result.providers, result.rules) == (True, 3, 2, 1)
        assert ops.personas is personas and personas.get("helion").greeting.uk.startswith("Привіт! Я оновлений Helion.")
        assert ops.router is router
        assert await answer(ops) == ("echo: hi", "backup")
        assert [r.path for r in llm.chat_requests()] == ["/v1/chat/completions"]


async def test_a_reload_that_leaves_a_provider_out_says_why(tmp_path: Path, llm: FakeLLM) -> None:
    async with opened(tmp_path, llm) as ops:
        del ops.env["BACKUP_KEY"]
        result = await reload(ops, grace=0)
        assert result.ok and result.providers == 1
        assert result.left_out == ("backup: BACKUP_KEY is not set",)


async def test_targets_off_and_agent_routes_survive_a_restart_and_a_reload(tmp_path: Path, llm: FakeLLM,
                                                                             database_url: str) -> None:
    async with opened(tmp_path, llm, url=database_url) as ops:
        assert (await set_target(ops, "ollama:qwen3:8b", False, by=42)).ok
        assert (await set_route(ops, "Helion", ["backup:gpt-4o-mini"], by=42)).subject == "helion"
        assert await answer(ops, agent="greenfood") == ("echo: hi", "backup")
    async with opened(tmp_path, llm, url=database_url) as ops:  # a restart: the same database
        assert ops.router.switched_off(ops.router.known_targets()[0])
        assert (await reload(ops, grace=0)).ok
        assert ops.router.switched_off(ops.router.known_targets()[0]), "still off after a reload"
        assert [str(t) for t in ops.router.overrides.routes["helion"].targets] == ["backup:gpt-4o-mini"]
        assert (await set_target(ops, "ollama:qwen3:8b", True, by=42)).ok
        assert (await set_route(ops, "helion", None, by=42)).ok
        assert await answer(ops) == ("echo: hi", "ollama")
    async with opened(tmp_path, llm, url=database_url) as ops:
        assert not ops.router.overrides.disabled and not ops.router.overrides.routes


async def test_unknown_names_are_refused_with_what_exists(tmp_path: Path, llm: FakeLLM) -> None:
    async with opened(tmp_path, llm) as ops:
        bad = await set_target(ops, "groq:llama", False)
        assert (bad.ok, bad.error, bad.subject, bad.known) == (False, "unknown_provider", "groq", ("ollama", "backup"))
        bad = await set_target(ops, "ollama:llama3", False)
        assert (bad.error, bad.known) == ("unknown_target", ("ollama:qwen3:8b", "backup:gpt-4o-mini"))
        bad = await set_route(ops, "zeus", ["ollama:qwen3:8b"])
        assert (bad.error, bad.known) == ("unknown_agent", ("daarwizz", "helion", "greenfood"))
        assert (await set_route(ops, "helion", ["qwen3"])).error == "bad_target"
        assert (await set_route(ops, "helion", ["groq:llama"])).error == "unknown_provider"
        assert not ops.router.overrides.disabled and not ops.router.overrides.routes


async def test_health_job_records_only_changes(tmp_path: Path, llm: FakeLLM, database_url: str) -> None:
    async with opened(tmp_path, llm, ollama_url=FakeLLM.refusing_url(), url=database_url) as ops:
        await health_check(ops)
        await health_check(ops)
        rows = await ops.store.db.run(lambda c: c.execute(select(ProviderEvent).order_by(ProviderEvent.id)).all())
        assert sorted((r.provider, r.healthy) for r in rows) == [("backup", True), ("ollama", False)]
        assert "unavailable" in next(r.detail for r in rows if r.provider == "ollama")
        ops.env["OLLAMA_URL"] = llm.url  # the server is back (fixed in the config here)
        assert (await reload(ops, grace=0)).ok
        await health_check(ops)
        last = await latest(ops)
        assert last["ollama"].healthy and last["backup"].healthy
        count = await ops.store.db.run(lambda c: len(c.execute(select(ProviderEvent.id)).all()))
        assert count == 3, "one row for ollama coming back, none for backup staying up"


async def test_a_change_made_on_another_replica_reaches_this_one(tmp_path: Path, llm: FakeLLM,
                                                                  database_url: str) -> None:
    async with (opened(tmp_path, llm, url=database_url) as here,  # two replicas, one database
                opened(tmp_path, llm, url=database_url) as there):
        await set_target(there, "ollama:qwen3:8b", False, by=42)
        await set_route(there, "greenfood", ["backup:gpt-4o-mini"], by=42)
        assert not here.router.overrides.disabled, "not yet: this replica re-reads the settings every minute"
        task = asyncio.create_task(keep_in_sync(here, every=0.05))
        try:
            for _ in range(100):
                if here.router.overrides.disabled and "greenfood" in here.router.overrides.routes:
                    break
                await asyncio.sleep(0.02)
        finally:
            task.cancel()
        assert here.router.overrides.disabled == {"ollama:qwen3:8b"}
        assert (await answer(here, agent="helion"))[1] == "backup"
        await set_target(there, "ollama:qwen3:8b", True, by=42)
        await restore(here, quiet=True)
        assert not here.router.overrides.disabled, "switched back on everywhere too"
