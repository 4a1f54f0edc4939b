"""The knowledge collection's layout in Qdrant: vectors, payload indexes, and the marker that guards them."""
from __future__ import annotations

import warnings

from qdrant_client import AsyncQdrantClient, models

from rag import sparse

DENSE = "dense"  # named dense vector: the embedding model's output, cosine
SPARSE = "bm25"  # named sparse vector: rag.sparse term weights; Qdrant applies IDF
KEYWORD_FIELDS = ("scope", "doc_id")  # every search filters on scope, delete on doc_id

FIX = "rebuild it with `python -m rag reindex`"


class IndexMismatch(Exception):
    """The collection was built for another embedding model/size; message names the fix (python -m rag reindex)."""


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
