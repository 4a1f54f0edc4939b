"""History retention (a nightly job): old messages and finished reminders are deleted; usage rows stay."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from ops.services import Ops
from storage.retention import RetentionStore
from storage.updates import UpdateInbox

log = logging.getLogger(__name__)
REMINDER_DAYS = 30  # sent, deleted or failed reminders are kept this long (for "what did I set?")
UPDATES_KEPT = timedelta(days=1)  # a webhook update's guard (storage/updates.py): Telegram keeps one 24 h


@dataclass(frozen=True, slots=True)
class Pruned:
    """What one retention run deleted."""

    messages: int
    reminders: int
    updates: int = 0  # webhook updates' duplicate guards


async def retention(ops: Ops) -> Pruned:
    """Delete messages older than `history_days` (0 keeps them all) — never a pending one — and old reminders.

    Usage rows are kept: they hold no text, and quotas and stats are sums over them. Finished reminders are
    pruned whatever `history_days` says (they are not conversation history).
    """
    store, now = RetentionStore(ops.store.db), ops.now()
    messages = 0
    if ops.settings.history_days > 0:
        messages, chats = await store.delete_old_messages(now - timedelta(days=ops.settings.history_days))
        ops.store.drop_cached(chats)  # a cached history must not bring deleted turns back to a model
        if ops.memory is not None:  # nor may a summary of them outlive them
            await ops.memory.prune(now - timedelta(days=ops.settings.history_days))
    reminders = await store.prune_reminders(now - timedelta(days=REMINDER_DAYS))
    updates = await UpdateInbox(ops.store.db).prune(now - UPDATES_KEPT)
    log.info("retention: deleted %d messages older than %d days, %d finished reminders and %d update guards",
             messages, ops.settings.history_days, reminders, updates)
    return Pruned(messages, reminders, updates)
