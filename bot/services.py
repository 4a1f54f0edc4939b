"""The composition root's shared part: settings → store, personas, router, agent, conversations."""
from __future__ import annotations

import asyncio
import contextlib
import os
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from dotenv import dotenv_values
from sqlalchemy import make_url

from agents.agent import Agent
from agents.handoff import HandoffRules
from agents.persona import AgentsConfig, load_personas
from base import ConfigError
from bot.logs import setup_logging
from bot.settings import Settings
from bot.turn.conversation import Conversations
from bot.turn.file_limits import MB, FileLimits
from bot.turn.search import SearchStack, WebTurn
from bot.turn.takeover import ReplicaTurns
from bot.turn.voice import VoiceTurn
from ops.access import AccessControl
from ops.control import on_reload
from ops.memory import Memory, MemorySettings
from ops.scheduler import Scheduler, runner_id
from ops.search_use import SearchLimits, SearchUse
from ops.services import Ops, OpsSettings
from ops.voice_use import VoiceLimits, VoiceUse
from rag.knowledge import KnowledgeBase
from rag.settings import KnowledgeSettings
from rag.types import IndexBusy, IndexMismatch
from router.config import build_router, load_router_config
from router.core import ModelRouter
from storage.claims import JobClaims
from storage.documents import DocumentRegistry
from storage.leases import MessageLeases
from storage.people import PeopleStore
from storage.store import Store, open_store
from storage.summaries import SummaryStore
from storage.usage import UsageLedger
from storage.web_usage import WebUsage
from vision.images import ImageLimits
from web.settings import WebSettings

if TYPE_CHECKING:
    from redis.asyncio import Redis  # imported with REDIS_URL only

    from ops.endpoints import Observability  # imported when metrics are on (METRICS_PORT, webhook mode)
    from rag.index import KnowledgeIndex  # imported when a base first has documents (see open_index)


@dataclass
class Services:
    """Everything a front end (Telegram or console) needs."""

    settings: Settings
    store: Store
    personas: AgentsConfig
    router: ModelRouter
    conversations: Conversations
    ledger: UsageLedger
    kb: KnowledgeBase | None = None
    ops: Ops | None = None
    search_use: SearchUse | None = None  # web searches: the daily quota and usage rows
    voice_use: VoiceUse | None = None  # voice messages: the daily seconds of speech heard
    observed: Observability | None = None  # metrics and health endpoints, once observability() built them
    shared: Redis | None = None  # REDIS_URL's client, once redis() made it

    def redis(self) -> Redis | None:
        """The one client replicas share state through (REDIS_URL), made at the first call; None without Redis."""
        if self.shared is None and self.settings.redis_url is not None:
            from storage.redis_link import connect

            self.shared = connect(self.settings.redis_url.get_secret_value())
        return self.shared

    def observability(self) -> Observability:
        """/metrics, /healthz and /readyz (mount with `add_routes(app)`); built and installed at the first call."""
        if self.observed is None:
            from ops.endpoints import observe

            self.observed = observe(self.router, self.store, self.ops)
            if self.settings.redis_url is not None:  # REDIS_URL: flows (and replicas) depend on it
                from ops.readiness import redis

                self.observed.readiness.add("redis", redis(self.settings.redis_url.get_secret_value()))
        return self.observed

    def endpoints(self) -> AbstractAsyncContextManager[object]:
        """The endpoints on METRICS_PORT while the block runs (none if unset, or if it is the webhook app's port)."""
        s = self.settings
        port = s.metrics_port
        if port is None or (s.webhook_url and port == s.webhook_port):
            return contextlib.nullcontext()
        return self.observability().serving(s.metrics_host, port)

    def image_limits(self) -> ImageLimits:
        """How photos are checked and downscaled before a vision model sees them."""
        return ImageLimits(max_side=self.settings.image_max_side, max_bytes=self.file_limits().image * MB)

    def file_limits(self) -> FileLimits:
        """How big a file the bot downloads, per kind: TELEGRAM_API_LOCAL, MAX_FILE_MB and KB_MAX_FILE_MB."""
        return FileLimits.from_settings(self.settings, self.kb.settings.max_file_mb if self.kb else None)

    async def aclose(self) -> None:
        """Stop the scheduler; close model clients and the database."""
        if self.ops is not None and self.ops.scheduler is not None:
            self.ops.scheduler.stop()
        if self.conversations.memory is not None:  # summaries in flight stop before their model client closes
            await self.conversations.memory.aclose()
        await self.router.aclose()
        if self.kb is not None:
            await self.kb.close()
        await self.store.close()
        if self.observed is not None:
            self.observed.close()
        if self.shared is not None:
            await self.shared.aclose()


def environment(settings: Settings) -> dict[str, str]:
    """Values the router config may interpolate: `.env`, then the process env, then settings."""
    env = {k: v for k, v in dotenv_values(".env").items() if v is not None}
    env.update(os.environ)
    env["OLLAMA_URL"] = settings.ollama_url
    return env


def secrets(settings: Settings, env: dict[str, str]) -> list[str]:
    """Every secret value the logs must never show."""
    values = [t.get_secret_value() for t in settings.agent_bot_tokens.values()]
    if settings.bot_token:
        values.append(settings.bot_token.get_secret_value())
    values += [v for k, v in env.items() if k.endswith(("_KEY", "_TOKEN", "_SECRET", "_PASSWORD"))]
    if settings.redis_url is not None:  # redis://user:password@host: the URL, its password as written and decoded
        url = settings.redis_url.get_secret_value()
        raw = urlsplit(url).password or ""
        values += [url] + ([raw, unquote(raw)] if raw else [])
    password = make_url(settings.database_url).password
    return values + ([str(password)] if password else [])


async def build_services(settings: Settings, *, log_file: Path | None = None) -> Services:
    """Load config files, open the database (migrating it) and wire the agent path; `log_file`: see setup_logging."""
    env = environment(settings)
    setup_logging(settings.log_level, secrets(settings, env), file=log_file, fmt=settings.log_format)
    personas = load_personas(settings.agents_file)
    config = load_router_config(settings.router_file, env)
    # Webhook mode may run as several replicas: the chat cache is off there (another replica may change a chat).
    store = await open_store(settings.database_url, replica=settings.replica_id,
                             cache_chats=0 if settings.webhook_url else 20_000)
    ledger = UsageLedger(store.db)  # usage rows and quotas live in the same database as the chats
    router = build_router(config, env, data_dir=settings.data_dir, ledger=ledger)
    kb = await open_knowledge(KnowledgeSettings.from_env(env, settings.data_dir), store, router)
    conversations = Conversations(store, Agent(router), personas, kb=kb)
    conversations.leases = MessageLeases(store.db, settings.replica_id)
    if settings.webhook_url:  # polling: the only process there is; the webhook may have replicas
        conversations.replicas = ReplicaTurns(conversations.leases, settings.pending_lease)
    use = SearchUse(WebUsage(store.db), SearchLimits(settings.search_user_daily, settings.search_group_daily),
                    tz=config.quotas.timezone)
    conversations.search = search_turn(settings, WebSettings.from_env(env), store, router, use)
    ops = build_ops(settings, config.quotas.timezone, store, ledger, router, personas, kb, env)
    ops.search = use
    # Long dialogs' rolling summaries; cached like chats (off with webhook replicas: another may write them).
    ops.memory = conversations.memory = Memory(
        SummaryStore(store.db, cache=0 if settings.webhook_url else 20_000), router,
        MemorySettings(settings.summary_enabled, settings.summary_max_chars, conversations.history_limit))
    ops.voice = VoiceUse(ledger, VoiceLimits(settings.voice_user_daily_seconds, settings.voice_group_daily_seconds),
                         tz=config.quotas.timezone)
    conversations.voice = VoiceTurn(router, store, max_seconds=settings.voice_max_seconds,
                                    max_mb=FileLimits.from_settings(settings).audio, use=ops.voice)
    # Hand-off keywords are compiled from the personas: rebuild them when /admin reload swaps the personas.
    on_reload(ops, lambda: setattr(conversations, "handoffs", HandoffRules(personas)))
    return Services(settings, store, personas, router, conversations, ledger, kb, ops, use, ops.voice)


def search_turn(settings: Settings, web: WebSettings, store: Store, router: ModelRouter, use: SearchUse) -> WebTurn:
    """The web-search part of a turn; CrewAI, the backends and the page reader are built at the first search."""
    lock = asyncio.Lock()
    built: list[SearchStack] = []

    async def build() -> SearchStack:
        async with lock:  # two first searches at once build one stack
            if not built:
                built.append(await _search_stack(settings, web, router, use))
        return built[0]
    return WebTurn(store, use, build, available=_search_installed, deadline=settings.search_deadline,
                   auto=settings.search_auto)


def _search_installed() -> bool:
    """Whether the `search` extra (CrewAI) is installed; asked at each search, so tests can say it is not."""
    from agents import search

    return search.available()


async def _search_stack(settings: Settings, web: WebSettings, router: ModelRouter, use: SearchUse) -> SearchStack:
    """Backends, page reader and crew; CrewAI (about 4 s to import) loads at the first /search, never at start."""
    from agents import search
    from agents.search.runner import WebResearch
    from web import PageReader, WebSearch

    search.configure(settings.data_dir)  # CrewAI itself is imported at the first /search (WebResearch.answer)
    searcher = WebSearch.from_settings(web, on_use=use.on_use)
    reader = PageReader(web, on_use=use.on_use)
    research = WebResearch(router, searcher, reader, data_dir=settings.data_dir, deadline=settings.search_deadline)
    return SearchStack(research, searcher.has_local)


def build_ops(settings: Settings, tz: str, store: Store, ledger: UsageLedger, router: ModelRouter,
              personas: AgentsConfig, kb: KnowledgeBase | None, env: dict[str, str]) -> Ops:
    """Roles and access, and a scheduler whose jobs live in the bot's database (started by the front end)."""
    people = PeopleStore(store.db)
    opts = OpsSettings(
        owners=tuple(settings.owner_ids), access_mode=settings.access_mode, invite_days=settings.invite_days,
        timezone=tz, history_days=settings.history_days, health_interval=settings.health_interval,
        report_time=settings.report_time, broadcast_rate=settings.broadcast_rate, agents_file=settings.agents_file,
        router_file=settings.router_file, data_dir=settings.data_dir, pending_lease=settings.pending_lease)
    access = AccessControl(people, owners=opts.owners, mode=opts.access_mode, invite_days=opts.invite_days)
    ops = Ops(opts, store, ledger, router, personas, people, access, kb=kb, env=env)
    if settings.scheduler:
        ops.scheduler = Scheduler(store.db.engine, JobClaims(store.db, runner_id()), ops, timezone=tz)
    return ops


async def open_knowledge(kb_settings: KnowledgeSettings, store: Store, router: ModelRouter) -> KnowledgeBase:
    """Qdrant (embedded: Qdrant Edge in KB_PATH; or QDRANT_URL) with the document list in the bot's database."""
    embed = router.targets("embed")

    def open_index() -> KnowledgeIndex:  # the engine loads when a base first has documents
        return kb_settings.open_index(str(embed[0]) if embed else "")

    kb = KnowledgeBase(open_index, DocumentRegistry(store.db), router, kb_settings)
    try:
        await kb.start()
    except (IndexMismatch, IndexBusy) as exc:  # another model or size, or a folder in use: say how to fix
        await kb.close()
        raise ConfigError(str(exc)) from None
    return kb
