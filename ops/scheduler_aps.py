"""The APScheduler side of ops.scheduler: a job table replicas share and an executor that claims each run.

Imported when the first job is added or the scheduler starts (once the bot polls), not at start: ~25 ms.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.executors.asyncio import AsyncIOExecutor
from apscheduler.job import Job
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import Engine

from storage.claims import JobClaims

log = logging.getLogger("ops.scheduler")


def build(engine: Engine, claims: JobClaims, context: object, *, timezone: str, table: str) -> AsyncIOScheduler:
    """An AsyncIOScheduler on the shared job table whose runs are claimed first and get `context` first."""
    return AsyncIOScheduler(
        jobstores={"default": SharedJobStore(engine=engine, tablename=table)},
        executors={"default": ClaimingExecutor(claims, context)},
        # A run missed while the bot was down happens once at start, however late (coalesced).
        job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
        timezone=timezone)


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
