"""Claims on scheduled runs: with several replicas on one database, the first to claim a run does it."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, delete, insert
from sqlalchemy.exc import IntegrityError

from storage.db import Database, upsert_for
from storage.models import JobRun, utcnow


class JobClaims:
    """A row per (job, scheduled time); the primary key makes the claim atomic on any database."""

    def __init__(self, db: Database, runner: str) -> None:
        self.db, self.runner = db, runner
        upsert = upsert_for(db.engine)
        # ON CONFLICT DO NOTHING: a lost claim is no error, so Postgres neither aborts the transaction nor logs one.
        # RETURNING tells who won: an INSERT's rowcount is -1 through SQLAlchemy on psycopg.
        self._claim = (upsert(JobRun).on_conflict_do_nothing().returning(JobRun.job_id) if upsert is not None
                       else insert(JobRun).returning(JobRun.job_id))

    async def claim(self, job_id: str, run_at: datetime) -> bool:
        """True for the one caller that gets this run; False for everyone after."""
        key = run_at.astimezone(UTC).isoformat(timespec="seconds")
        values = dict(job_id=job_id[:191], run_at=key, runner=self.runner[:64], claimed_at=utcnow())

        def work(conn: Connection) -> bool:
            try:
                return conn.execute(self._claim, values).first() is not None
            except IntegrityError:  # a database without ON CONFLICT
                return False
        try:
            return await self.db.run(work)
        except IntegrityError:  # raised at commit by some drivers
            return False

    async def prune(self, older_than: timedelta = timedelta(days=7)) -> int:
        """Forget claims of runs long past (they only guard runs that might still be racing)."""
        cutoff = utcnow() - older_than
        return int(await self.db.run(lambda c: c.execute(delete(JobRun).where(JobRun.claimed_at < cutoff)).rowcount))
