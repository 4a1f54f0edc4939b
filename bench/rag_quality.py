"""bench/rag.py's retrieval quality: nDCG@10 / recall@10 per mode on a rag-eval set, the relevance gate's tables
(on the set's own queries and on chit-chat), and with --expand what query expansion changes."""
from __future__ import annotations

import asyncio
import math
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from bench.rag_data import CACHE, TUNING, EvalSet, build, cached, pct, readable
from rag import sparse
from rag.index import KnowledgeIndex
from rag.types import Passage

THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7)
DENSE_THRESHOLDS = (0.4, 0.5, 0.6, 0.7)  # the separate dense gate (KB_DENSE_THRESHOLD) beside KB_THRESHOLD's 0.5
GATE = 0.5  # KB_THRESHOLD's default: what the bot's search keeps, and when --expand asks the model

# Chit-chat a Telegram bot hears: the gate should find nothing relevant in a KB for these.
OFF_TOPIC = (
    "what's the weather tomorrow", "tell me a joke", "how are you today?", "who won the football match yesterday",
    "recommend a movie for tonight", "how much is bitcoin now", "translate hello into french",
    "write a poem about cats", "what time is it in Tokyo", "good morning everyone",
    "привіт, як справи?", "яка погода завтра у Києві", "розкажи анекдот", "порадь фільм на вечір",
    "скільки коштує біткоїн", "хто виграв матч учора", "напиши вірш про котів", "котра година в Токіо",
    "доброго ранку всім", "дякую, бувай",
)


def ndcg_recall(ranked: Sequence[str], relevant: set[str], k: int = 10) -> tuple[float, float]:
    """nDCG@k and recall@k with binary relevance."""
    dcg = sum(1.0 / math.log2(i + 2) for i, d in enumerate(ranked[:k]) if d in relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return dcg / ideal, len(set(ranked[:k]) & relevant) / len(relevant)


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
