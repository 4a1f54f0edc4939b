"""The knowledge collection's layout in Qdrant: vectors, payload and its indexes, point ids, the guarding marker."""
from __future__ import annotations

import uuid
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from qdrant_client import AsyncQdrantClient, models

from rag import sparse
from rag.types import Chunk, IndexMismatch, Passage

DENSE = "dense"  # named dense vector: the embedding model's output, cosine
SPARSE = "bm25"  # named sparse vector: rag.sparse term weights; Qdrant applies IDF
KEYWORD_FIELDS = ("scope", "doc_id")  # every search filters on scope, delete on doc_id

FIX = "rebuild it with `python -m rag reindex`"
_IDS = uuid.uuid5(uuid.NAMESPACE_URL, "dagi:kb")  # namespace of point ids




def marker(dense_dim: int | None, dense_model: str) -> dict[str, object]:
    """What the collection's vectors were built with, kept in Qdrant's collection metadata."""
    return {"dense_dim": dense_dim, "dense_model": dense_model, "sparse": sparse.VERSION}


async def create(client: AsyncQdrantClient, name: str, *, dense_dim: int | None, dense_model: str) -> None:
    """Create the collection: dense only when a model size is known, bm25 always, and the marker."""
    vectors = {DENSE: models.VectorParams(size=dense_dim, distance=models.Distance.COSINE)} if dense_dim else {}
    await client.create_collection(
        name,
        vectors_config=vectors,
        sparse_vectors_config={SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)},
        metadata=marker(dense_dim, dense_model),
    )


async def ensure_indexes(client: AsyncQdrantClient, name: str) -> None:
    """Create the keyword payload indexes that are missing (scope as the tenant key)."""
    have = (await client.get_collection(name)).payload_schema
    for field in KEYWORD_FIELDS:
        if field in have:
            continue
        # is_tenant lets a Qdrant server lay out points by scope, so a chat's search reads only its own.
        schema = models.KeywordIndexParams(type=models.KeywordIndexType.KEYWORD, is_tenant=field == "scope")
        with warnings.catch_warnings():
            # Local mode warns that payload indexes do nothing there: it scans every point anyway.
            warnings.filterwarnings("ignore", message="Payload indexes have no effect")
            await client.create_payload_index(name, field, field_schema=schema)


async def check(client: AsyncQdrantClient, name: str, *, dense_dim: int | None, dense_model: str) -> None:
    """Raise IndexMismatch unless the existing collection fits this model; dense_dim None fits any (sparse only)."""
    info = await client.get_collection(name)
    meta = info.config.metadata or {}
    vectors = info.config.params.vectors
    have_dim = vectors[DENSE].size if isinstance(vectors, dict) and DENSE in vectors else None
    sparse_ok = info.config.params.sparse_vectors and SPARSE in info.config.params.sparse_vectors
    problems = []
    if not sparse_ok or meta.get("sparse") != sparse.VERSION:
        problems.append(f"sparse vectors {meta.get('sparse')!r}, this code makes {sparse.VERSION!r}")
    if dense_dim is not None and have_dim != dense_dim:
        problems.append(f"dense size {have_dim}, the model gives {dense_dim}")
    if dense_dim is not None and dense_model and meta.get("dense_model") not in (dense_model, None, ""):
        problems.append(f"built with {meta.get('dense_model')!r}, now {dense_model!r}")
    if problems:
        raise IndexMismatch(f"collection {name!r} does not fit: {'; '.join(problems)}; {FIX}")


def point_id(scope: str, doc_id: str, index: int) -> str:
    """A stable id per chunk; the scope is part of it so one doc_id in two bases never shares a point."""
    return str(uuid.uuid5(_IDS, f"{scope}\x00{doc_id}\x00{index}"))


def points(
    scope: str,
    doc_id: str,
    file_name: str,
    chunks: Sequence[Chunk],
    dense: Sequence[Sequence[float]] | None,
    avg_len: float,
) -> list[models.PointStruct]:
    """One point per chunk: bm25 always, dense when given, and the payload a Passage is made from."""
    out = []
    for i, chunk in enumerate(chunks):
        sv = sparse.doc_vector(chunk.text, avg_len=avg_len)
        bm25 = models.SparseVector(indices=list(sv.indices), values=list(sv.values))
        vector: dict[str, models.Vector] = {SPARSE: bm25}
        if dense is not None:
            vector[DENSE] = [float(x) for x in dense[i]]
        payload = {"scope": scope, "doc_id": doc_id, "file_name": file_name, "page": chunk.page,
                   "chunk_index": chunk.index, "text": chunk.text}
        out.append(models.PointStruct(id=point_id(scope, doc_id, chunk.index), vector=vector, payload=payload))
    return out


def any_of(field: str, values: Sequence[str]) -> models.FieldCondition:
    """field ∈ values, on a keyword payload index."""
    return models.FieldCondition(key=field, match=models.MatchAny(any=list(values)))


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
