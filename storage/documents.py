"""Knowledge-base documents: what is in each base, for listing, de-duplication and deletion."""
from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update

from storage.db import AnyRow, Database
from storage.models import KbDocument, utcnow


@dataclass(frozen=True, slots=True)
class Document:
    """One document of a knowledge base; `id` is the short number users type in `/kb delete`."""

    id: int
    doc_id: str
    scope: str
    file_name: str
    kind: str
    content_hash: str
    size: int = 0
    pages: int = 0
    chunks: int = 0
    dense: bool = False
    added_by: int | None = None
    created_at: datetime | None = None


_COLUMNS = [KbDocument.id, KbDocument.doc_id, KbDocument.scope, KbDocument.file_name, KbDocument.kind,
            KbDocument.content_hash, KbDocument.size, KbDocument.pages, KbDocument.chunks, KbDocument.dense,
            KbDocument.added_by, KbDocument.created_at]


def _doc(row: AnyRow) -> Document:
    return Document(*row)


class DocumentRegistry:
    """Rows of `kb_documents`; the chunks themselves live in Qdrant under `doc_id`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def find(self, scope: str, content_hash: str) -> Document | None:
        """The document with these bytes already in this base, if any."""
        q = select(*_COLUMNS).where(KbDocument.scope == scope, KbDocument.content_hash == content_hash)
        row = await self.db.run(lambda c: c.execute(q).first())
        return _doc(row) if row else None

    async def add(self, doc: Document) -> Document:
        """Record a stored document; returns it with its number."""
        values: dict[str, Any] = {c.key: getattr(doc, c.key) for c in _COLUMNS if c.key not in ("id", "created_at")}
        values["created_at"] = doc.created_at or utcnow()
        values["file_name"] = doc.file_name[:255]  # the column's size: Postgres refuses longer (SQLite kept it)
        add = insert(KbDocument).returning(KbDocument.id)
        new_id = await self.db.run(lambda c: c.execute(add, values).scalar_one())
        return Document(**{**values, "id": int(new_id)})

    async def list(self, scopes: Sequence[str]) -> list[Document]:
        """Documents of these bases, oldest first."""
        q = select(*_COLUMNS).where(KbDocument.scope.in_(list(scopes))).order_by(KbDocument.id)
        return [_doc(r) for r in await self.db.run(lambda c: c.execute(q).all())]

    async def get(self, number: int, scopes: Sequence[str]) -> Document | None:
        """Document number `number` if it belongs to one of these bases (others' stay invisible)."""
        q = select(*_COLUMNS).where(KbDocument.id == number, KbDocument.scope.in_(list(scopes)))
        row = await self.db.run(lambda c: c.execute(q).first())
        return _doc(row) if row else None

    async def remove(self, doc_id: str) -> None:
        """Forget a document (after its chunks were deleted)."""
        await self.db.run(lambda c: c.execute(delete(KbDocument).where(KbDocument.doc_id == doc_id)))

    async def set_dense(self, doc_id: str, dense: bool) -> None:
        """Note whether a document now has dense vectors (after a reindex)."""
        q = update(KbDocument).where(KbDocument.doc_id == doc_id).values(dense=dense)
        await self.db.run(lambda c: c.execute(q))

    async def all(self) -> builtins.list[Document]:  # builtins: `list` here is the method above
        """Every document (for `python -m rag reindex`)."""
        q = select(*_COLUMNS).order_by(KbDocument.id)
        return [_doc(r) for r in await self.db.run(lambda c: c.execute(q).all())]
