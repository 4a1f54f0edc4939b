"""Admin control of the router (placeholder until the feature lands)."""
from __future__ import annotations

from ops.services import Ops


async def restore(ops: Ops) -> None:
    """Apply settings admins changed from chat (kept in the database) at start."""
