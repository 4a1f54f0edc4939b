"""retention (scheduled job)."""
from __future__ import annotations

from ops.services import Ops


async def retention(ops: Ops) -> None:
    """Placeholder until the feature lands."""
