"""Settings admins change from chat (targets switched off, agent routes): JSON values by key, kept across restarts."""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from storage.db import Database
from storage.models import AdminSetting, utcnow


class AdminSettings:
    """Key → JSON value in `admin_settings`; every call is one transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db

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
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)

        def work(conn: Connection) -> None:
            conn.execute(delete(AdminSetting).where(AdminSetting.key == key))
            conn.execute(insert(AdminSetting).values(key=key, value=text, updated_by=by, updated_at=utcnow()))
        await self.db.run(work)

    async def remove(self, key: str) -> None:
        """Forget a key (its default applies again)."""
        await self.db.run(lambda c: c.execute(delete(AdminSetting).where(AdminSetting.key == key)))
