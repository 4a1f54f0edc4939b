"""Broadcasts: one text to many chats, paced under Telegram's per-bot rate, counted, cancellable."""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from aiolimiter import AsyncLimiter

from ops.notify import Notifier, Sent
from ops.services import Ops
from storage.audience import AudienceStore, Kind, Recipient
from storage.people import PeopleStore

log = logging.getLogger(__name__)
KINDS: dict[str, Kind] = {"all": "all", "users": "users", "groups": "groups", "усі": "all", "всі": "all",
                          "користувачі": "users", "групи": "groups"}


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a broadcast stands: `done` of `total` chats handled so far, and what became of them."""

    total: int
    done: int = 0
    delivered: int = 0
    blocked: int = 0
    failed: int = 0
    seconds: float = 0.0
    finished: bool = False
    cancelled: bool = False


OnProgress = Callable[[Progress], Awaitable[None]]


class BroadcastBusy(RuntimeError):
    """Another broadcast is already running in this process."""


@dataclass
class _Tally:
    total: int
    started: float
    counts: dict[str, int] = field(default_factory=lambda: {"delivered": 0, "blocked": 0, "failed": 0})

    def snapshot(self, now: float, *, finished: bool = False, cancelled: bool = False) -> Progress:
        c = self.counts
        return Progress(self.total, sum(c.values()), c["delivered"], c["blocked"], c["failed"],
                        round(now - self.started, 1), finished, cancelled)


class Broadcaster:
    """Sends one text to a list of recipients; one broadcast at a time per process."""

    def __init__(self, notifier: Notifier, people: PeopleStore, audience: AudienceStore, *, rate: float,
                 in_flight: int = 8, progress_every: float = 1.0) -> None:
        self.notifier, self.people, self.audience = notifier, people, audience
        self.rate, self.in_flight, self.progress_every = rate, in_flight, progress_every
        # Telegram counts arrivals, not our send times: one message held up on its way (a new connection,
        # a busy loop) arrives together with the next, and a 429 retried by the session comes unpaced.
        # Pacing one message a second under the rate leaves room for that one, so no second exceeds `rate`.
        self.pace = rate - 1 if rate >= 2 else rate / 2
        self._limiters: dict[str, AsyncLimiter] = {}
        self._busy = False
        self._stop = asyncio.Event()
        self._task: asyncio.Task[Progress] | None = None  # kept so the running broadcast is not garbage-collected

    @property
    def running(self) -> bool:
        """Whether a broadcast is in progress."""
        return self._busy

    async def slot(self, bot: str) -> None:
        """Wait for this bot's next send slot; the progress edits take one too, so they never push it over."""
        limiter = self._limiters.get(bot)
        if limiter is None:
            # One token per 1/pace seconds, not AsyncLimiter(rate, 1): a full bucket of `rate` lets `rate`
            # sends go at once and `rate` more leak in during the same second — up to twice Telegram's
            # limit in one window, answered with 429s. Capacity one spaces sends evenly instead.
            limiter = self._limiters[bot] = AsyncLimiter(1, 1 / self.pace)
        await limiter.acquire()

    def start(self, text: str, recipients: Sequence[Recipient], on_progress: OnProgress | None = None,
              ) -> asyncio.Task[Progress]:
        """Run a broadcast in the background; BroadcastBusy when one is already running."""
        self._claim()
        self._task = asyncio.create_task(self._run(text, recipients, on_progress), name="broadcast")
        self._task.add_done_callback(self._release)
        return self._task

    async def run(self, text: str, recipients: Sequence[Recipient], on_progress: OnProgress | None = None) -> Progress:
        """Run a broadcast to the end (or until stopped) and return the final counts."""
        self._claim()
        try:
            return await self._run(text, recipients, on_progress)
        finally:
            self._busy = False

    def stop(self) -> bool:
        """Stop sending (messages in flight still finish); False when nothing is running."""
        if not self._busy:
            return False
        self._stop.set()
        return True

    def _claim(self) -> None:
        if self._busy:
            raise BroadcastBusy
        self._busy = True
        self._stop.clear()

    def _release(self, task: asyncio.Task[Progress]) -> None:
        self._busy = False
        if not task.cancelled() and task.exception() is not None:
            log.error("broadcast failed", exc_info=task.exception())

    async def _run(self, text: str, recipients: Sequence[Recipient], on_progress: OnProgress | None) -> Progress:
        tally = _Tally(len(recipients), time.monotonic())
        slots = asyncio.Semaphore(self.in_flight)  # a few sends overlap their network time; the limiter sets the pace
        sending: set[asyncio.Task[None]] = set()
        ended = asyncio.Event()
        reporter = asyncio.create_task(self._report(tally, on_progress, ended)) if on_progress else None
        try:
            for recipient in recipients:
                await slots.acquire()
                if self._stop.is_set():
                    break
                await self.slot(recipient.bot)
                if self._stop.is_set():
                    break
                task = asyncio.create_task(self._send(recipient, text, tally))
                sending.add(task)
                task.add_done_callback(sending.discard)
                task.add_done_callback(lambda _: slots.release())
            await asyncio.gather(*sending)
        except asyncio.CancelledError:  # the process is stopping: do not leave sends behind
            for task in sending:
                task.cancel()
            raise
        finally:
            ended.set()
            if reporter is not None:
                await asyncio.gather(reporter, return_exceptions=True)
        final = tally.snapshot(time.monotonic(), finished=True, cancelled=self._stop.is_set())
        log.info("broadcast finished: %s", final)
        if on_progress is not None:
            await _safely(on_progress, final)
        return final

    async def _send(self, recipient: Recipient, text: str, tally: _Tally) -> None:
        try:
            sent = await self.notifier.send(recipient.bot, recipient.chat_id, text)
        except Exception as exc:  # noqa: BLE001 - one broken chat must not end the broadcast
            log.warning("broadcast to chat %s failed: %r", recipient.chat_id, exc)
            sent = Sent("failed", error=repr(exc)[:200])
        if sent.status == "blocked":
            await self._mark_blocked(recipient)
        tally.counts[sent.status] += 1

    async def _mark_blocked(self, recipient: Recipient) -> None:
        """A user who blocked the bot, or a group that removed it, is skipped from now on (never retried)."""
        try:
            if recipient.user_id is not None:
                await self.people.set_blocked(recipient.user_id, True)
            else:
                await self.audience.mark_group_blocked(recipient.chat_id)
        except Exception:
            log.exception("could not mark chat %s as blocked", recipient.chat_id)

    async def _report(self, tally: _Tally, on_progress: OnProgress, ended: asyncio.Event) -> None:
        """Progress at most once per `progress_every` seconds, only when something changed; the end reports itself."""
        shown = -1
        while True:
            try:
                await asyncio.wait_for(ended.wait(), self.progress_every)
                return
            except TimeoutError:
                pass
            now = tally.snapshot(time.monotonic())
            if now.done != shown:
                shown = now.done
                await _safely(on_progress, now)


async def _safely(on_progress: OnProgress, progress: Progress) -> None:
    try:
        await on_progress(progress)
    except Exception:
        log.warning("broadcast progress could not be shown", exc_info=True)


def parse_audience(word: str, ops: Ops) -> tuple[Kind, str | None] | None:
    """`all`, `users`, `groups` or `agent:<name>` (an agent's id, name or alias); None when unknown."""
    word = word.strip().lower()
    if word in KINDS:
        return KINDS[word], None
    head, _, name = word.partition(":")
    persona = ops.personas.get(name) if head in ("agent", "агент") and name else None
    return ("agent", persona.key) if persona else None


async def audience(ops: Ops, kind: Kind, agent: str | None = None) -> list[Recipient]:
    """The recipients of a broadcast now, through the bots this process serves."""
    bots = ops.notifier.bots if ops.notifier is not None else None
    locked = {b: b for b in (bots or ()) if b in ops.personas.agents}  # a persona's own bot is keyed by the persona
    return await AudienceStore(ops.store.db).recipients(kind, agent=agent, default_agent=ops.personas.default_agent,
                                                        bots=bots, locked=locked)


def broadcaster(ops: Ops) -> Broadcaster:
    """This process's broadcaster (created on first use, once the notifier is up)."""
    if ops.broadcaster is None:
        if ops.notifier is None:
            raise RuntimeError("broadcasts need the notifier; the Telegram front end sets it at start")
        ops.broadcaster = Broadcaster(ops.notifier, ops.people, AudienceStore(ops.store.db),
                                      rate=ops.settings.broadcast_rate)
    return ops.broadcaster
