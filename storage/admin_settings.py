"""Settings admins change from chat (targets switched off, agent routes): JSON values by key, kept across restarts."""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from storage.db import Database, upsert_for
from storage.models import AdminSetting, utcnow


class AdminSettings:
    """Key → JSON value in `admin_settings`; every call is one transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._upsert = upsert_for(db.engine)

    async def get(self, key: str, default: Any = None) -> Any:
        """The stored value, or `default` when the key was never set (or holds broken JSON)."""
        stmt = select(AdminSetting.value).where(AdminSetting.key == key)
        raw = await self.db.run(lambda c: c.execute(stmt).scalar())
        if raw is None:
            return default
        try:
            return json.loads(raw)
        except ValueError:
            return default

    async def put(self, key: str, value: Any, *, by: int | None = None) -> None:
        """Store `value` (JSON-serialisable) under `key`, replacing what was there."""
        values = dict(value=json.dumps(value, ensure_ascii=False, sort_keys=True), updated_by=by, updated_at=utcnow())

        def work(conn: Connection) -> None:
            if self._upsert is not None:  # two replicas writing one key at once: the later wins, neither fails
                stmt = self._upsert(AdminSetting).values(key=key, **values)
                conn.execute(stmt.on_conflict_do_update(index_elements=[AdminSetting.key], set_=values))
                return
            conn.execute(delete(AdminSetting).where(AdminSetting.key == key))
            conn.execute(insert(AdminSetting).values(key=key, **values))
        await self.db.run(work)

    async def remove(self, key: str) -> None:
        """Forget a key (its default applies again)."""
        await self.db.run(lambda c: c.execute(delete(AdminSetting).where(AdminSetting.key == key)))
