"""Ranking and gating of retrieved chunks: score fusion of the candidate lists, and absolute evidence of relevance."""
from __future__ import annotations

import functools
import math
from collections.abc import Hashable, Sequence, Set
from typing import TypeVar

from rag import sparse

K = TypeVar("K", bound=Hashable)

# Qdrant's default and its formula, 1/(k + rank from 0), so server-side fusion would rank alike. Measured
# (bench/rag.py, MiniLM + bm25): scifact nDCG@10 0.721 at k=2 vs 0.714 at the RRF paper's 60; ua_squad,
# where the English model is weak, 0.823 vs 0.548: a small k lets one list's confident top hit win.
RRF_K = 2
FUSIONS = ("dbsf", "rrf")  # the index fuses with the first; bench/rag.py --fusion compares


def dbsf(lists: Sequence[Sequence[tuple[K, float]]], *, weights: Sequence[float] | None = None) -> dict[K, float]:
    """Distribution-based score fusion, Qdrant's formula: each list's scores mapped from mean ± 3 standard
    deviations (sample) onto 0..1, weighted, summed per key; a list of one scores it 0.5.

    Unlike RRF it keeps how far apart a list's scores are: a passage far ahead on its words stays ahead
    of one the embedding barely prefers. Measured (bench/rag.py, MiniLM + bm25, dense weight 1.0):
    scifact nDCG@10 0.726 vs RRF's 0.721 (k=2) and 0.724 (k=3 or 5).
    """
    fused: dict[K, float] = {}
    for i, scored in enumerate(lists):
        w = 1.0 if weights is None else weights[i]
        values = [s for _, s in scored]
        mean = math.fsum(values) / len(values) if values else 0.0
        # Sample deviation in floats: statistics.stdev computes it exactly in fractions, ~0.2 ms a list.
        # Equal scores have no spread (float rounding would leave a tiny one and push them off 0.5).
        spread = 6.0 * math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1)) \
            if len(values) > 1 and max(values) != min(values) else 0.0
        for key, score in scored:
            normal = (score - mean) / spread + 0.5 if spread else 0.5
            fused[key] = fused.get(key, 0.0) + w * normal
    return fused


def rrf(rankings: Sequence[Sequence[K]], *, k: int = RRF_K, weights: Sequence[float] | None = None) -> dict[K, float]:
    """Fused score per key: the sum of weight/(k + rank) over the rankings it appears in (rank from 0)."""
    fused: dict[K, float] = {}
    for i, ranking in enumerate(rankings):
        w = 1.0 if weights is None else weights[i]
        for rank, key in enumerate(ranking):
            fused[key] = fused.get(key, 0.0) + w / (k + rank)
    return fused


def coverage(wanted: Set[str], text: str) -> float:
    """Share of the query's distinct content stems (sparse.tokens) that occur in text; 0 when it has none."""
    if not wanted:
        return 0.0
    return len(wanted & _stems(text)) / len(wanted)


@functools.lru_cache(maxsize=1024)
def _stems(text: str) -> frozenset[str]:
    # A chat asks many questions of one base and the same chunks come back as candidates: tokenising one costs
    # ~60 µs, up to 100 candidates a search. Bounded: 1,024 chunks' texts and stems, ~20 MB at 350-token chunks.
    return frozenset(sparse.tokens(text))


def admits(lexical: float, cosine: float | None, threshold: float | None, dense_threshold: float | None) -> bool:
    """Whether a passage counts as relevant: enough query words in it, or a close enough embedding."""
    if threshold is None:
        return True
    cut = threshold if dense_threshold is None else dense_threshold
    return lexical >= threshold or (cosine is not None and cosine >= cut)
