"""Web searches per user and group per day (the quota), and the usage rows every search and page read leaves."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from storage.web_usage import Searches, WebUsage, WebUseRow

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Asker:
    """Who a web search runs for: every backend query and page read of the run is recorded under them."""

    bot: str = ""
    chat_id: int = 0
    user_id: int = 0
    agent: str = ""


@dataclass(frozen=True, slots=True)
class SearchLimits:
    """Default web-search questions a day (0 = no limit); admins override per user or group."""

    user: int = 20
    group: int = 100


@dataclass(frozen=True, slots=True)
class OverQuota:
    """A user's (scope "user") or a group's (scope "chat") searches for today are used up."""

    scope: str
    used: int
    limit: int
    resets_at: datetime


# Set around one run by the bot's search turn; the web package's on_use callback reads it (it runs in the
# run's task, or in a thread started from it: asyncio.to_thread copies the context).
ASKER: ContextVar[Asker | None] = ContextVar("web_search_asker", default=None)


class SearchUse:
    """Checks the daily search quota and writes web-use rows, in the quota time zone of the model quotas."""

    def __init__(self, usage: WebUsage, limits: SearchLimits = SearchLimits(), *, tz: str = "UTC",
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.usage, self.limits, self.tz, self.now = usage, limits, ZoneInfo(tz), now
        self._writes: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    def day(self, at: datetime | None = None) -> str:
        """The quota day of `at` (default now)."""
        return (at or self.now()).astimezone(self.tz).date().isoformat()

    def resets_at(self) -> datetime:
        """The next midnight in the quota time zone."""
        local = self.now().astimezone(self.tz)
        return datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), tzinfo=self.tz)

    async def used(self, kind: str, subject_id: int) -> tuple[int, int]:
        """(questions today, the limit that applies: the override or the default; 0 = none) of a user or chat."""
        found: Searches = await self.usage.searches(kind, subject_id, self.day())
        default = self.limits.user if kind == "user" else self.limits.group
        return found.used, default if found.limit is None else found.limit

    async def check(self, user_id: int, chat_id: int, *, group: bool) -> OverQuota | None:
        """Why this user (or this group) may not search again today, or None."""
        subjects = [("user", user_id)] + ([("chat", chat_id)] if group and chat_id else [])
        for kind, subject in subjects:
            if not subject:
                continue
            used, limit = await self.used(kind, subject)
            if limit and used >= limit:
                return OverQuota(kind, used, limit, self.resets_at())
        return None

    async def question(self, asker: Asker, how: str) -> None:
        """Count one answered question toward the day's quota (a search that failed or found nothing is free)."""
        await self._write(asker, "question", how, True, 0.0)

    def on_use(self, kind: str, backend: str, ok: bool, ms: float) -> None:
        """The web package's callback after each backend query ("search") or page read ("read")."""
        asker = ASKER.get() or Asker()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # called from a worker thread: write on the bot's loop
            if self._loop is not None:
                self._loop.call_soon_threadsafe(self._spawn, asker, kind, backend, ok, ms)
            return
        self._loop = loop
        self._spawn(asker, kind, backend, ok, ms)

    def _spawn(self, asker: Asker, kind: str, backend: str, ok: bool, ms: float) -> None:
        task = asyncio.get_running_loop().create_task(self._write(asker, kind, backend, ok, ms))
        self._writes.add(task)  # held until done: the loop keeps only weak references to tasks
        task.add_done_callback(self._writes.discard)

    async def _write(self, asker: Asker, kind: str, backend: str, ok: bool, ms: float) -> None:
        self._loop = asyncio.get_running_loop()
        at = self.now()
        try:
            await self.usage.record(WebUseRow(at=at, day=self.day(at), kind=kind, backend=backend, ok=ok,
                                              latency_ms=ms, bot=asker.bot, chat_id=asker.chat_id,
                                              user_id=asker.user_id, agent=asker.agent))
        except Exception:  # a lost usage row must not cost the user the answer
            log.exception("could not record a web %s", kind)

    async def flush(self) -> None:
        """Wait for rows still being written (tests, shutdown)."""
        if self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)
