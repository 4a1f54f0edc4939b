"""The knowledge collection's layout, the same in both engines: vectors, payload, point ids, the guarding marker."""
from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from rag import sparse
from rag.types import Chunk, IndexMismatch, Passage, SparseVector

DENSE = "dense"  # named dense vector: the embedding model's output, cosine
SPARSE = "bm25"  # named sparse vector: rag.sparse term weights; the engine applies IDF (over the scopes searched)
KEYWORD_FIELDS = ("scope", "doc_id")  # every search filters on scope (the tenant key), delete on doc_id

COLLECTION = "dagi_kb"  # the collection's name on a Qdrant server (and in old local-mode folders)
FIX = "rebuild it with `python -m rag reindex`"
_IDS = uuid.uuid5(uuid.NAMESPACE_URL, "dagi:kb")  # namespace of point ids
Query = SparseVector | list[float]  # one side of a hybrid search: bm25 terms or a dense vector


@dataclass(frozen=True, slots=True)
class Row:
    """One stored chunk as either engine keeps it: id, bm25 terms, dense vector (if any), payload."""

    id: str
    sparse: SparseVector
    dense: list[float] | None
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Hit:
    """One candidate of one side of a search: its point id, the engine's score and its payload."""

    id: str
    score: float
    payload: Mapping[str, Any]


class VectorStore(Protocol):
    """What rag.index needs of an engine: Qdrant Edge in-process (edge_store) or qdrant-client (qdrant_store)."""

    name: str  # the folder (Edge) or the collection (server): named in messages

    async def exists(self) -> bool: ...
    async def create(self, dense_dim: int | None, dense_model: str) -> None: ...
    async def check(self, dense_dim: int | None, dense_model: str) -> bool: ...
    async def restamp(self) -> None: ...
    async def upsert(self, rows: Sequence[Row]) -> None: ...
    async def delete(self, doc_id: str, scope: str | None = None, keep: Sequence[str] = ()) -> None: ...
    async def query(self, scopes: Sequence[str], sides: Mapping[str, Query], limit: int) -> list[list[Hit]]: ...
    async def count(self, scopes: Sequence[str] | None) -> int: ...
    async def page(self, offset: Any, limit: int, vectors: bool) -> tuple[list[Row], Any]: ...
    async def drop(self) -> None: ...
    async def close(self) -> None: ...


def marker(dense_dim: int | None, dense_model: str) -> dict[str, object]:
    """What the collection's vectors were built with, kept beside them (Qdrant: collection metadata)."""
    return {"dense_dim": dense_dim, "dense_model": dense_model, "sparse": sparse.VERSION}


def check(name: str, meta: Mapping[str, Any], have_dim: int | None, dense_dim: int | None, dense_model: str) -> bool:
    """Raise IndexMismatch unless a collection built as `meta` fits this model (dense_dim None fits any); True when
    only its bm25 vectors are an older tokenizer's (rag.upgrade rebuilds them from the stored text)."""
    problems = []
    if not meta.get("sparse"):
        problems.append(f"no bm25 vectors, this code makes {sparse.VERSION!r}")
    if dense_dim is not None and have_dim != dense_dim:
        problems.append(f"dense size {have_dim}, the model gives {dense_dim}")
    if dense_dim is not None and dense_model and meta.get("dense_model") not in (dense_model, None, ""):
        problems.append(f"built with {meta.get('dense_model')!r}, now {dense_model!r}")
    if problems:
        raise IndexMismatch(f"collection {name!r} does not fit: {'; '.join(problems)}; {FIX}")
    return meta.get("sparse") != sparse.VERSION


def point_id(scope: str, doc_id: str, index: int) -> str:
    """A stable id per chunk; the scope is part of it so one doc_id in two bases never shares a point."""
    return str(uuid.uuid5(_IDS, f"{scope}\x00{doc_id}\x00{index}"))


def rows(
    scope: str,
    doc_id: str,
    file_name: str,
    chunks: Sequence[Chunk],
    dense: Sequence[Sequence[float]] | None,
    avg_len: float,
) -> list[Row]:
    """One row per chunk: bm25 always, dense when given, and the payload a Passage is made from."""
    return [
        Row(id=point_id(scope, doc_id, chunk.index), sparse=sparse.doc_vector(chunk.text, avg_len=avg_len),
            dense=None if dense is None else [float(x) for x in dense[i]],
            payload={"scope": scope, "doc_id": doc_id, "file_name": file_name, "page": chunk.page,
                     "chunk_index": chunk.index, "text": chunk.text})
        for i, chunk in enumerate(chunks)
    ]


def passage(payload: Mapping[str, Any], score: float) -> Passage:
    """A retrieved point's payload as a Passage."""
    return Passage(
        text=str(payload.get("text", "")),
        file_name=str(payload.get("file_name", "")),
        page=int(payload.get("page") or 0),
        doc_id=str(payload.get("doc_id", "")),
        chunk_index=int(payload.get("chunk_index") or 0),
        scope=str(payload.get("scope", "")),
        score=score,
    )
