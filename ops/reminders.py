"""Reminders (placeholder until the feature lands)."""
from __future__ import annotations

from ops.services import Ops


async def fire_reminder(ops: Ops, reminder_id: int) -> None:
    """Placeholder."""
