"""Knowledge-base document rows on SQLite and Postgres: found by content, listed per base, numbered, removed."""
from __future__ import annotations

from storage.db import Database, migrate, open_engine
from storage.documents import Document, DocumentRegistry

BASE, OTHER = "chat:main:-500:0", "agent:helion"


def _doc(doc_id: str, scope: str, name: str, content_hash: str) -> Document:
    return Document(id=0, doc_id=doc_id, scope=scope, file_name=name, kind="pdf", content_hash=content_hash, size=2048,
                    pages=3, chunks=7, dense=True, added_by=42)


async def test_documents_are_found_by_their_bytes_listed_per_base_and_removed(database_url: str) -> None:
    db = Database(open_engine(database_url))
    await db.call(migrate, db.engine)
    docs = DocumentRegistry(db)
    first = await docs.add(_doc("d1", BASE, "статут.pdf", "a" * 64))
    long_name = "звіт " * 60 + ".pdf"  # 305 characters: more than the column holds
    second = await docs.add(_doc("d2", BASE, long_name, "b" * 64))
    elsewhere = await docs.add(_doc("d3", OTHER, "меню.pdf", "a" * 64))  # the same bytes in another base

    found = await docs.find(BASE, "a" * 64), await docs.find(OTHER, "a" * 64)
    assert [d.id if d else None for d in found] == [first.id, elsewhere.id]
    assert await docs.find(BASE, "c" * 64) is None
    assert [d.doc_id for d in await docs.list([BASE])] == ["d1", "d2"]
    [stored] = [d for d in await docs.list([BASE]) if d.doc_id == "d2"]
    assert stored.file_name == long_name[:255] == second.file_name
    assert (stored.dense, stored.added_by, stored.pages) == (True, 42, 3)
    assert await docs.get(elsewhere.id, [BASE]) is None, "a document of another base stays invisible"
    await docs.set_dense("d1", False)
    await docs.remove("d2")
    assert [(d.doc_id, d.dense) for d in await docs.all()] == [("d1", False), ("d3", True)]
    await db.close()
