"""/forget: delete everything the bot keeps about one user; only anonymous usage counts remain."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from ops.roles import Role
from ops.services import Ops
from ops.stats import today
from storage.retention import Holdings, RetentionStore

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Forgotten:
    """What /forget deleted for one user."""

    messages: int
    documents: int
    documents_left: int  # uploads whose deletion failed (the vector store did not answer): /forget again later
    reminders: int
    usage_rows: int  # anonymised: user (and private chat) id set to 0, counts kept
    profile_kept: bool  # only the id and role stay (an admin, a ban, or a membership the access mode needs)


def kept_roles(ops: Ops) -> frozenset[str]:
    """Roles a users row is kept for: any the access mode would not give by itself.

    Forgetting must not lift a ban, demote an admin, or lock a member out of an invite-only bot; a role the
    access mode gives anyway (a member in open mode, a guest otherwise) carries nothing worth keeping.
    """
    return frozenset(r.value for r in Role if r is not ops.access.default_role)


async def holdings(ops: Ops, user_id: int) -> Holdings:
    """What /forget would delete for this user (shown before they confirm)."""
    return await RetentionStore(ops.store.db).holdings(user_id)


async def forget_user(ops: Ops, user_id: int) -> Forgotten:
    """Delete the user's messages (and the answers to them), private chats, uploads, reminders and profile.

    Usage rows are anonymised, not deleted: stats and provider quotas are sums over them. The user's per-day
    sums of earlier days go; today's stay, so /forget cannot reset a daily quota.
    """
    store = RetentionStore(ops.store.db)
    documents = left = 0
    if ops.kb is not None:  # through the knowledge base, so the document's vectors go too
        for number, scope in await store.documents_of(user_id):
            try:
                documents += await ops.kb.delete(number, [scope]) is not None
            except Exception:
                log.exception("could not delete document %s of a user who asked to be forgotten", number)
                left += 1
    if ops.scheduler is not None:
        for reminder_id in await store.reminders_of(user_id):
            ops.scheduler.remove(f"reminder:{reminder_id}")
    erased = await store.erase_user(user_id, today=today(ops).isoformat(), keep_roles=kept_roles(ops))
    ops.store.drop_cached(erased.chat_ids)
    if ops.memory is not None:  # the summaries went with the messages (storage/retention.py); so do cached ones
        ops.memory.drop(erased.chat_ids)
    ops.access.forget(user_id)
    log.info("forgot a user: %d messages, %d chats, %d documents, %d reminders deleted; %d usage rows anonymised",
             erased.messages, erased.chats, documents, erased.reminders, erased.usage_rows)
    return Forgotten(erased.messages, documents, left, erased.reminders, erased.usage_rows, erased.profile_kept)
