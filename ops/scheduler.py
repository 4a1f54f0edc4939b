"""APScheduler wired for replicas: jobs live in the bot's database, each scheduled run is claimed once.

Every replica may run a scheduler on the same job table. A run is carried out only by the replica
whose claim row (job id + scheduled time) is inserted first; the others skip it. Job functions are
module-level coroutines `async def job(ops, *args)`: the store keeps a reference to them by name,
and they get this process's services as their first argument. APScheduler itself (ops.scheduler_aps)
is imported at the first use of the scheduler, which the bot starts once it polls.
"""
from __future__ import annotations

import os
import socket
import sys
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from storage.claims import JobClaims

if TYPE_CHECKING:
    from apscheduler.job import Job
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

JobFunc = Callable[..., Coroutine[Any, Any, Any]]


def runner_id() -> str:
    """This replica's name in claim rows: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Scheduler:
    """Start/stop with the dispatcher; add, list and remove persistent jobs."""

    def __init__(self, engine: Engine, claims: JobClaims, context: object, *, timezone: str = "UTC",
                 table: str = "apscheduler_jobs") -> None:
        self.claims = claims
        self._args = (engine, claims, context, timezone, table)
        self._built: AsyncIOScheduler | None = None
        self._started = self._stopped = False  # stopped before it ever started: it does not start later

    @property
    def _aps(self) -> AsyncIOScheduler:
        """APScheduler's scheduler, built (and APScheduler imported) at first use."""
        if self._built is None:
            from ops.scheduler_aps import build

            engine, claims, context, timezone, table = self._args
            self._built = build(engine, claims, context, timezone=timezone, table=table)
        return self._built

    @property
    def running(self) -> bool:
        return self._built is not None and bool(self._built.running)

    def start(self) -> None:
        """Load the stored jobs and begin; call inside the running event loop. Does nothing once stopped before it
        ever started (the bot starts its scheduler after polling begins, and may be stopped before that)."""
        if not self._stopped and not self._aps.running:
            self._aps.start()
            self._started = True

    def stop(self) -> None:
        """Stop scheduling; jobs stay stored for the next start."""
        if self.running:
            self._aps.shutdown(wait=False)
        elif not self._started:
            self._stopped = True

    def add(self, func: JobFunc, trigger: Any, *, job_id: str, args: tuple[Any, ...] = (), name: str | None = None,
            **trigger_args: Any) -> Job:
        """Add or replace a job (a module-level coroutine function: the store keeps it by name)."""
        if getattr(sys.modules.get(func.__module__), func.__name__, None) is not func:
            raise ValueError(f"{func!r} must be a module-level function to be stored")
        # The first argument is a placeholder the executor fills with this process's services (so the
        # stored job passes APScheduler's signature check and holds no live object).
        return self._aps.add_job(func, trigger, id=job_id, name=name or job_id, args=(None, *args),
                                 replace_existing=True, **trigger_args)

    def remove(self, job_id: str) -> bool:
        """Remove a job; False when there was none."""
        from apscheduler.jobstores.base import JobLookupError

        try:
            self._aps.remove_job(job_id)
        except JobLookupError:
            return False
        return True

    def get(self, job_id: str) -> Job | None:
        """A stored job by id."""
        return self._aps.get_job(job_id)

    def jobs(self) -> list[Job]:
        """Every stored job."""
        return self._aps.get_jobs()

    def wakeup(self) -> None:
        """Look at the job table now (after another replica may have added jobs)."""
        if self.running:
            self._aps.wakeup()
