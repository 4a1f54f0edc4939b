"""The embedded engine: Qdrant Edge (Qdrant's own Rust engine, in-process) in a folder that one process opens."""
from __future__ import annotations

import asyncio
import functools
import json
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import qdrant_edge as qe

from rag import qdrant_schema as schema
from rag import sparse
from rag.qdrant_schema import DENSE, SPARSE, Hit, Query, Row
from rag.types import IndexBusy, SparseVector

MARKER = "dagi_kb.json"  # schema.marker() beside the shard: Edge keeps no collection metadata
SHARD_FILES = ("edge_config.json", "segments", "wal", MARKER)  # what drop() removes, and nothing else
BATCH = 128  # points per update call: Edge holds the GIL inside it (~5 ms at 128, ~20 ms at 512 on this loop)
T = TypeVar("T")


class EdgeStore:
    """One Edge shard at `path` (":memory:": a temporary folder removed at close); calls run on one worker thread."""

    def __init__(self, path: str) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="dagi-kb-") if path == ":memory:" else None
        self.path = Path(self._tmp.name if self._tmp else path)
        self.name = str(self.path)
        self._shard: qe.EdgeShard | None = None
        # Searches are fast Rust, but a long upsert or the first load would still hold the loop: one thread
        # serves every call in order, as the shard is written by one writer.
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="kb-edge")

    async def _run(self, call: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._worker, functools.partial(call, *args))

    def _open(self) -> qe.EdgeShard:
        if self._shard is None:
            try:
                self._shard = qe.EdgeShard.load(str(self.path))
            except Exception as exc:  # the WAL is locked (flock) while another process has the folder open
                if "WouldBlock" in str(exc):
                    raise IndexBusy(f"{self.path} is open in another process (the bot, or `python -m rag`)") from None
                raise
        return self._shard

    async def exists(self) -> bool:
        return (self.path / "edge_config.json").is_file()

    async def create(self, dense_dim: int | None, dense_model: str) -> None:
        """A shard with bm25 (IDF) and, when a model size is known, the cosine dense vector; indexes; marker."""
        await self._run(self._create, dense_dim, dense_model)

    def _create(self, dense_dim: int | None, dense_model: str) -> None:
        config = qe.EdgeConfig(
            vectors={DENSE: qe.EdgeVectorParams(size=dense_dim, distance=qe.Distance.Cosine)} if dense_dim else {},
            sparse_vectors={SPARSE: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)})
        self.path.mkdir(parents=True, exist_ok=True)
        self._shard = qe.EdgeShard.create(str(self.path), config)
        # scope is the tenant key: every search filters on it; doc_id serves deletes by document.
        self._shard.update(qe.UpdateOperation.create_field_index("scope", qe.KeywordIndexParams(is_tenant=True)))
        self._shard.update(qe.UpdateOperation.create_field_index("doc_id", qe.PayloadSchemaType.Keyword))
        self._shard.flush()
        self._write_marker(schema.marker(dense_dim, dense_model))

    async def check(self, dense_dim: int | None, dense_model: str) -> bool:
        await self._run(self._open)
        meta = self._marker()
        return schema.check(self.name, meta, meta.get("dense_dim"), dense_dim, dense_model)

    def _marker(self) -> dict[str, Any]:
        path = self.path / MARKER
        return dict(json.loads(path.read_text(encoding="utf-8"))) if path.is_file() else {}

    async def restamp(self) -> None:
        """The marker says the bm25 vectors are this code's (after rag.upgrade rebuilt them)."""
        self._write_marker({**self._marker(), "sparse": sparse.VERSION})

    def _write_marker(self, meta: Mapping[str, Any]) -> None:
        tmp = self.path / f"{MARKER}.tmp"
        tmp.write_text(json.dumps(meta), encoding="utf-8")
        os.replace(tmp, self.path / MARKER)  # a crash leaves the old marker or the new one, never half of one

    async def upsert(self, rows: Sequence[Row]) -> None:
        points = [qe.Point(r.id, _vectors(r), r.payload) for r in rows]
        for start in range(0, len(points), BATCH):
            await self._run(lambda b: self._open().update(qe.UpdateOperation.upsert_points(b)),
                            points[start:start + BATCH])

    async def delete(self, doc_id: str, scope: str | None = None, keep: Sequence[str] = ()) -> None:
        must: list[Any] = [_any_of("doc_id", [doc_id]), *([_any_of("scope", [scope])] if scope else [])]
        flt = qe.Filter(must=must, must_not=[qe.HasIdCondition(set(keep))] if keep else None)
        await self._run(lambda: self._open().update(qe.UpdateOperation.delete_points_by_filter(flt)))

    async def query(self, scopes: Sequence[str], sides: Mapping[str, Query], limit: int) -> list[list[Hit]]:
        """Each side's best `limit` inside the scopes in one planned batch; bm25's IDF counts only those scopes."""
        flt = qe.Filter(must=[_any_of("scope", scopes)])
        requests = [qe.QueryRequest(
            limit=limit, filter=flt, with_payload=True,
            query=qe.Query.Nearest(qe.SparseVector(list(q.indices), list(q.values)) if isinstance(q, SparseVector)
                                   else list(q), using=using),
            params=qe.SearchParams(idf=qe.IdfParams(corpus=flt)) if using == SPARSE else None)
            for using, q in sides.items()]
        found = await self._run(lambda: self._open().query_batch(qe.QueryBatchRequest(requests)))
        return [[Hit(str(p.id), p.score, p.payload or {}) for p in points] for points in found]

    async def count(self, scopes: Sequence[str] | None) -> int:
        flt = None if scopes is None else qe.Filter(must=[_any_of("scope", scopes)])
        return await self._run(lambda: self._open().count(qe.CountRequest(exact=True, filter=flt)))

    async def page(self, offset: Any, limit: int, vectors: bool) -> tuple[list[Row], Any]:
        """Up to `limit` stored rows from offset (None: the start), and the next offset (None: the end)."""
        request = qe.ScrollRequest(offset=offset, limit=limit, with_payload=True, with_vector=vectors)
        records, nxt = await self._run(lambda: self._open().scroll(request))
        return [_row(r) for r in records], nxt

    async def drop(self) -> None:
        await self._run(self._drop)

    def _drop(self) -> None:
        if self._shard is not None:
            self._shard.close()
            self._shard = None
        for name in SHARD_FILES:
            target = self.path / name
            if target.is_dir():
                _remove_tree(target)
            elif target.exists():
                target.unlink()

    async def close(self) -> None:
        """Flush and close the shard (releasing the folder), then the worker thread."""
        if self._shard is not None:
            await self._run(_shut, self._shard)
            self._shard = None
        self._worker.shutdown(wait=False)
        if self._tmp is not None:
            self._tmp.cleanup()


def _vectors(row: Row) -> dict[str, Any]:
    bm25 = qe.SparseVector(list(row.sparse.indices), list(row.sparse.values))
    return {SPARSE: bm25, **({DENSE: row.dense} if row.dense is not None else {})}


def _row(record: qe.Record) -> Row:
    vec = record.vector if isinstance(record.vector, dict) else {}
    bm25, dense = vec.get(SPARSE), vec.get(DENSE)
    terms = SparseVector(tuple(bm25.indices), tuple(bm25.values)) if isinstance(bm25, qe.SparseVector) \
        else SparseVector((), ())
    floats = [float(x) for x in dense if isinstance(x, (int, float))] if isinstance(dense, list) else None
    return Row(str(record.id), terms, floats, dict(record.payload or {}))


def _shut(shard: qe.EdgeShard) -> None:
    shard.flush()  # everything on disk in its segments, not only in the WAL: the next load replays nothing
    shard.close()


def _any_of(field: str, values: Sequence[str]) -> qe.FieldCondition:
    """field ∈ values, on a keyword payload index."""
    return qe.FieldCondition(key=field, match=qe.MatchAny(any=list(values)))


def _remove_tree(path: Path) -> None:
    import shutil  # only reindex drops a shard

    shutil.rmtree(path)
