"""BM25-style sparse vectors without a model: word tokens, a 5-character stem, stable hashed ids."""
from __future__ import annotations

import re
import zlib
from collections import Counter

from rag.types import SparseVector

# Bumped whenever tokens() or the hashing changes: the index stores it and refuses a collection built
# with another version, since old and new token ids would silently stop matching.
VERSION = "bm25-prefix5-crc32-v1"

STEM = 5  # rag-eval README: 5-char prefixes beat whole words (scifact 0.673 vs 0.652, ua_squad 0.862 vs 0.779)

# A word, with apostrophes allowed only between letters (п'ять, м’ясо, don't), never at its edges.
_WORD = re.compile(r"\w+(?:['’ʼ`]\w+)*")
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "`": "'"})
_CLITIC = re.compile(r"'(?:s|re|ve|ll|d|m)$")  # English what's, we're: the bare word carries the meaning

# Function words of Ukrainian and English, matched on the whole word before stemming. IDF already makes
# them cheap, yet dropping them measured better (bench/rag.py, nDCG@10: scifact 0.692 vs 0.683, ua_squad
# 0.874 vs 0.862; a longer NLTK-like list lost ~0.003 on both) and keeps "what is the …" from counting
# as evidence in the index's relevance gate.
STOPWORDS = frozenset(
    """
    a an and are as at be been but by can could do does did don't doesn't for from had has have he her his how
    i if in into is isn't it its me my no not of on or our she so than that the their them then there these they
    this those to us was we were what when where which who whom why will with would you your
    а але б би бо був була були було бути в від вона вони воно все всі ви він де до є же з за і із й їх його її
    коли котрий котра котре котрі ли лише ми на над не ні но ну о об от по при про та так така таке такий такі
    також там те тим то тобто треба ти у хто це цей ці ця чи що щоб як яка яке які який якщо я
    """.split()
)


def words(text: str) -> list[str]:
    """Lowercased word tokens, apostrophe variants unified, English clitics ('s, 're…) cut; stopwords kept."""
    return [_CLITIC.sub("", w) for w in _WORD.findall(text.lower().translate(_APOSTROPHES))]


def tokens(text: str) -> list[str]:
    """Lowercased content words cut to their first 5 characters (a crude stemmer for uk and en)."""
    return [w[:STEM] for w in words(text) if w not in STOPWORDS]


def token_id(token: str) -> int:
    """A 31-bit id stable across processes and machines (Python's hash() is salted per process)."""
    return zlib.crc32(token.encode("utf-8")) & 0x7FFFFFFF


def doc_vector(text: str, *, avg_len: float = 120.0, k1: float = 1.2, b: float = 0.75) -> SparseVector:
    """The term-frequency half of BM25 per token; Qdrant multiplies in the IDF half at query time."""
    counts = _id_counts(tokens(text))
    length = sum(counts.values())
    norm = k1 * (1.0 - b + b * length / avg_len)
    ids = sorted(counts)
    return SparseVector(tuple(ids), tuple(counts[i] * (k1 + 1.0) / (counts[i] + norm) for i in ids))


def query_vector(text: str) -> SparseVector:
    """Weight 1.0 per distinct token, so a document's score is the sum of its matched BM25 terms."""
    ids = sorted(_id_counts(tokens(text)))
    return SparseVector(tuple(ids), (1.0,) * len(ids))


def _id_counts(toks: list[str]) -> Counter[int]:
    # Counted by id, not by token: two tokens hashing alike must merge (Qdrant rejects duplicate indices).
    return Counter(token_id(t) for t in toks)
