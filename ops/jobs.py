"""The system's own scheduled jobs, registered at start (replacing what an older start stored)."""
from __future__ import annotations

from ops.health import health_check
from ops.report import close_day, daily_report
from ops.retention import retention
from ops.services import Ops


def schedule_system_jobs(ops: Ops) -> None:
    """Health checks, the day's close at midnight, the owners' report and history retention."""
    scheduler = ops.scheduler
    if scheduler is None:
        return
    settings = ops.settings
    hour, minute = (int(x) for x in settings.report_time.split(":"))
    scheduler.add(health_check, "interval", job_id="system:health", seconds=settings.health_interval)
    scheduler.add(close_day, "cron", job_id="system:close-day", hour=0, minute=0, second=5)
    scheduler.add(daily_report, "cron", job_id="system:report", hour=hour, minute=minute)
    scheduler.add(retention, "cron", job_id="system:retention", hour=3, minute=30)
