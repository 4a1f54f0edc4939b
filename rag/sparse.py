"""BM25-style sparse vectors without a model: word stems (Ukrainian lemmas), Ukrainian 4-grams, stable hashed ids."""
from __future__ import annotations

import re
import threading
import zlib
from collections import Counter

from rag.types import SparseVector

# Bumped whenever tokens() or the hashing changes: the index stores it and refuses a collection built
# with another version, since old and new token ids would silently stop matching.
VERSION = "bm25-uklemma-prefix5-ukgram4-crc32-v3"

STEM = 5  # rag-eval README: 5-char prefixes beat whole words (scifact 0.673 vs 0.652, ua_squad 0.862 vs 0.779)
# Character 4-grams of each Ukrainian content word, as extra terms: they match what the lemmatiser leaves apart
# (засновано / заснування, сповідували / віросповідання, називався / назва). Measured (bench/rag.py, ua_squad
# sparse nDCG@10): 0.903 vs 0.884 without; 3-grams 0.899, 5-grams 0.902, 4-grams of English words too cost
# scifact's hybrid. A query's gram counts GRAM_WEIGHT of a word (0.5: 0.897), so grams break ties between
# passages that share the words, and never outvote a whole word.
GRAM = 4
GRAM_WEIGHT = 0.2
_GRAM_MARK = "#"  # gram ids are hashed with this first: no word token holds it, so a gram never meets a word

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
# Ukrainian function words as lemmas, dropped after lemmatising so every form goes (якому, якого → який): the
# surface list above cannot hold them all. Measured with the lemmas (bench/rag.py, ua_squad sparse): recall@10
# 0.956 with them, 0.948 without, nDCG@10 0.884 either way; scifact (English) unchanged.
LEMMA_STOPWORDS = frozenset(
    """
    для або під між через після перед без біля серед який свій весь цей той мій наш ваш твій їхній такий інший
    бути мати себе вже ще дуже тільки навіть саме чому скільки куди звідки чий кого кому чого чим ним нею них нього
    неї він вона воно вони ми ви ти я її його їх
    """.split()
) | STOPWORDS

_CYRILLIC = re.compile("[а-яіїєґ]")
_MEMO_MAX = 200_000  # distinct words remembered (~30 MB at most); then forgotten all at once and relearnt
_memo: dict[str, str] = {}
_lock = threading.Lock()  # loading simplemma's dictionary twice at once would cost twice the time and memory


def lemma(word: str) -> str:
    """A lowercased Ukrainian word's dictionary form (simplemma; unknown words come back as they are)."""
    got = _memo.get(word)
    if got is None:
        if len(_memo) >= _MEMO_MAX:
            _memo.clear()
        got = _memo[word] = _lemmatize(word)
    return got


def warm() -> None:
    """Load the Ukrainian dictionary now (~0.4 s, ~70 MB), so no search pays for it; call it off the event loop."""
    lemma("слова")


def _lemmatize(word: str) -> str:
    # Imported on the first Cyrillic word: start-up time is measured, and an English-only base never needs it.
    with _lock:
        import simplemma

        # Proper nouns come back capitalised (каліфорнії → Каліфорнія): lowercase, or they stop matching.
        return simplemma.lemmatize(word, lang="uk").lower()


def words(text: str) -> list[str]:
    """Lowercased word tokens, apostrophe variants unified, English clitics ('s, 're…) cut; stopwords kept."""
    # The clitic regex only where an apostrophe is: a sub() per word was a third of a search's Python time.
    return [_CLITIC.sub("", w) if "'" in w else w for w in _WORD.findall(text.lower().translate(_APOSTROPHES))]


def tokens(text: str) -> list[str]:
    """Content words cut to their first 5 characters; Ukrainian (Cyrillic) words lemmatised first."""
    return _terms(text, grams=False)[0]


def grams(text: str) -> list[str]:
    """The 4-grams of each Ukrainian content word as it is written (none for words of 4 letters or fewer)."""
    return _terms(text, grams=True)[1]


def _terms(text: str, *, grams: bool) -> tuple[list[str], list[str]]:
    stems: list[str] = []
    found: list[str] = []
    for w in words(text):
        if w in STOPWORDS:
            continue
        if not w.isascii() and _CYRILLIC.search(w):
            # Lemma then prefix: ua_squad sparse nDCG@10 0.884 vs 0.874 for prefixes alone, which split пісня /
            # пісень, люди / людей, день / дня. English words keep the bare prefix: Snowball's English stemmer
            # measured no better on scifact (0.691 vs 0.692), simplemma's English lemmas worse (0.685).
            stem = lemma(w)
            if stem in LEMMA_STOPWORDS:
                continue
            if grams and len(w) > GRAM:  # a short word's one gram is the word: its stem already counts it
                found.extend(w[i:i + GRAM] for i in range(len(w) - GRAM + 1))
            w = stem
        stems.append(w[:STEM])
    return stems, found


def token_id(token: str) -> int:
    """A 31-bit id stable across processes and machines (Python's hash() is salted per process)."""
    return zlib.crc32(token.encode("utf-8")) & 0x7FFFFFFF


def doc_vector(text: str, *, avg_len: float = 120.0, k1: float = 1.2, b: float = 0.75) -> SparseVector:
    """The term-frequency half of BM25 per token and per gram; Qdrant multiplies in the IDF half at query time."""
    stems, found = _terms(text, grams=True)
    # Counted by id, not by token: two tokens hashing alike must merge (Qdrant rejects duplicate indices).
    counts = Counter(map(token_id, stems)) + Counter(token_id(_GRAM_MARK + g) for g in found)
    # The length is the chunk's words, for grams too: a long Ukrainian word has many grams, yet one meaning.
    norm = k1 * (1.0 - b + b * len(stems) / avg_len)
    ids = sorted(counts)
    return SparseVector(tuple(ids), tuple(counts[i] * (k1 + 1.0) / (counts[i] + norm) for i in ids))


def query_vector(text: str) -> SparseVector:
    """Weight 1.0 per distinct token and GRAM_WEIGHT per distinct gram: a document scores its matched BM25 terms."""
    stems, found = _terms(text, grams=True)
    weights = dict.fromkeys(map(token_id, stems), 1.0)
    for g in found:
        weights.setdefault(token_id(_GRAM_MARK + g), GRAM_WEIGHT)
    ids = sorted(weights)
    return SparseVector(tuple(ids), tuple(weights[i] for i in ids))
