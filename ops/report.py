"""report (scheduled job)."""
from __future__ import annotations

from ops.services import Ops


async def daily_report(ops: Ops) -> None:
    """Placeholder until the feature lands."""


async def close_day(ops: Ops) -> None:
    """Placeholder until the feature lands."""
