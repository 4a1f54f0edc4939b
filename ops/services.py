"""The ops side of the composition root: everything admin commands and scheduled jobs use."""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agents.persona import AgentsConfig
from ops.access import AccessControl, Mode
from ops.notify import Notifier
from rag.knowledge import KnowledgeBase
from router.core import ModelRouter
from storage.models import utcnow
from storage.people import PeopleStore
from storage.reminders import ReminderStore
from storage.store import Store
from storage.usage import UsageLedger

if TYPE_CHECKING:
    from ops.broadcast import Broadcaster
    from ops.memory import Memory
    from ops.scheduler import Scheduler
    from ops.search_use import SearchUse
    from ops.voice_use import VoiceUse
    from storage.bus import Publisher


@dataclass(frozen=True)
class OpsSettings:
    """The admin and scheduling settings ops code reads (from bot.settings at the composition root)."""

    owners: tuple[int, ...] = ()
    access_mode: Mode = "open"
    invite_days: int = 7
    timezone: str = "Europe/Kyiv"  # the quota time zone: days, reports and default reminder zone
    history_days: int = 90
    health_interval: float = 300.0
    report_time: str = "09:00"
    broadcast_rate: float = 25.0
    agents_file: Path = Path("config/agents.yaml")
    router_file: Path = Path("config/router.yaml")
    data_dir: Path = Path("data")
    pending_lease: float = 60.0  # seconds a claimed message or reminder stays its holder's (PENDING_LEASE)


@dataclass
class Ops:
    """Services for admin commands and jobs; jobs receive it as their first argument."""

    settings: OpsSettings
    store: Store
    ledger: UsageLedger
    router: ModelRouter
    personas: AgentsConfig
    people: PeopleStore
    access: AccessControl
    kb: KnowledgeBase | None = None
    notifier: Notifier | None = None  # set by the front end once its bots are up
    scheduler: Scheduler | None = None
    env: dict[str, str] = field(default_factory=dict)  # for re-reading router.yaml (`${VAR}` values)
    now: Callable[[], datetime] = utcnow  # tests freeze or move this clock
    # Made on first use by their modules (ops.broadcast.broadcaster, ops.reminders.store); one per Ops.
    broadcaster: Broadcaster | None = None
    reminder_store: ReminderStore | None = None
    search: SearchUse | None = None  # web searches: quota defaults, overrides and usage rows (set by the bot)
    voice: VoiceUse | None = None  # voice messages: the daily seconds of speech heard (set by the bot)
    memory: Memory | None = None  # long dialogs' summaries (set by the bot): /forget and retention delete them
    publisher: Publisher | None = None  # tells other replicas of admin changes at once (REDIS_URL, ops.shared_state)
    # Config reloads (ops.control): one at a time, and what to rebuild after each.
    reload_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    reload_hooks: list[Callable[[], Any]] = field(default_factory=list)
