"""APScheduler wired for replicas: jobs live in the bot's database, each scheduled run is claimed once.

Every replica may run a scheduler on the same job table. A run is carried out only by the replica
whose claim row (job id + scheduled time) is inserted first; the others skip it. Job functions are
module-level coroutines `async def job(ops, *args)`: the store keeps a reference to them by name,
and they get this process's services as their first argument.
"""
from __future__ import annotations

import asyncio
import logging
import os
import socket
import sys
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.executors.asyncio import AsyncIOExecutor
from apscheduler.job import Job
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import Engine

from storage.claims import JobClaims

log = logging.getLogger(__name__)
JobFunc = Callable[..., Coroutine[Any, Any, Any]]


def runner_id() -> str:
    """This replica's name in claim rows: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


class SharedJobStore(SQLAlchemyJobStore):
    """A job table several schedulers share: another replica may already have moved or removed a job."""

    def update_job(self, job: Job) -> None:
        try:
            super().update_job(job)
        except JobLookupError:
            log.debug("job %s was removed by another scheduler", job.id)

    def remove_job(self, job_id: str) -> None:
        try:
            super().remove_job(job_id)
        except JobLookupError:
            log.debug("job %s was already removed by another scheduler", job_id)


class ClaimingExecutor(AsyncIOExecutor):
    """Runs a due coroutine job only after claiming its scheduled time, passing the services first."""

    def __init__(self, claims: JobClaims, context: object) -> None:
        super().__init__()
        self.claims, self.context = claims, context

    def _do_submit_job(self, job: Job, run_times: list[datetime]) -> None:
        async def run() -> list[JobExecutionEvent]:
            events = []
            for run_time in run_times[-1:]:  # missed runs are coalesced into the latest one
                if not await self.claims.claim(job.id, run_time):
                    log.debug("job %s at %s runs on another replica", job.id, run_time)
                    continue
                try:
                    await job.func(self.context, *job.args[1:], **job.kwargs)
                except Exception as exc:
                    log.exception("job %s failed", job.id)
                    events.append(JobExecutionEvent(EVENT_JOB_ERROR, job.id, job._jobstore_alias, run_time,
                                                    exception=exc))
                else:
                    events.append(JobExecutionEvent(EVENT_JOB_EXECUTED, job.id, job._jobstore_alias, run_time))
            return events

        def done(task: asyncio.Future[list[JobExecutionEvent]]) -> None:
            self._pending_futures.discard(task)
            if task.cancelled():
                return
            if (exc := task.exception()) is not None:
                self._run_job_error(job.id, exc, exc.__traceback__)
            else:
                self._run_job_success(job.id, task.result())

        task = self._eventloop.create_task(run())
        task.add_done_callback(done)
        self._pending_futures.add(task)


class Scheduler:
    """Start/stop with the dispatcher; add, list and remove persistent jobs."""

    def __init__(self, engine: Engine, claims: JobClaims, context: object, *, timezone: str = "UTC",
                 table: str = "apscheduler_jobs") -> None:
        self.claims = claims
        self._aps = AsyncIOScheduler(
            jobstores={"default": SharedJobStore(engine=engine, tablename=table)},
            executors={"default": ClaimingExecutor(claims, context)},
            # A run missed while the bot was down happens once at start, however late (coalesced).
            job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
            timezone=timezone)

    @property
    def running(self) -> bool:
        return bool(self._aps.running)

    def start(self) -> None:
        """Load the stored jobs and begin; call inside the running event loop."""
        if not self._aps.running:
            self._aps.start()

    def stop(self) -> None:
        """Stop scheduling; jobs stay stored for the next start."""
        if self._aps.running:
            self._aps.shutdown(wait=False)

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
        if self._aps.running:
            self._aps.wakeup()
