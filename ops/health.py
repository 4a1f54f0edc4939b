"""health (scheduled job)."""
from __future__ import annotations

from ops.services import Ops


async def health_check(ops: Ops) -> None:
    """Placeholder until the feature lands."""
