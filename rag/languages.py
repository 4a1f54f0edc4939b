"""Which questions an embedding model can read: KB_DENSE_LANGUAGES, checked by the question's writing system."""
from __future__ import annotations

import unicodedata
from collections import Counter

ALL = "all"
# The writing systems of the languages an embedding model may be trained on (ISO 639-1). A question is judged
# by its letters' script, not by a language detector: a detector is unsure on a five-word question, a script is
# not. So an English-only model still gets a German question (same letters), never a Ukrainian one.
_SCRIPTS: dict[str, frozenset[str]] = {
    **dict.fromkeys(
        "en de fr es it pt nl pl cs sk sl hr bs sq ro hu fi et lv lt sv da no nb nn is ga cy eu ca gl tr az uz id ms "
        "vi tl sw af mt la eo".split(), frozenset({"LATIN"})),
    **dict.fromkeys("uk ru be bg mk kk ky tg mn".split(), frozenset({"CYRILLIC"})),
    "sr": frozenset({"CYRILLIC", "LATIN"}),
    "el": frozenset({"GREEK"}), "hy": frozenset({"ARMENIAN"}), "ka": frozenset({"GEORGIAN"}),
    **dict.fromkeys("ar fa ur ps".split(), frozenset({"ARABIC"})),
    **dict.fromkeys("he yi".split(), frozenset({"HEBREW"})),
    **dict.fromkeys("hi mr ne".split(), frozenset({"DEVANAGARI"})),
    "bn": frozenset({"BENGALI"}), "ta": frozenset({"TAMIL"}), "te": frozenset({"TELUGU"}), "th": frozenset({"THAI"}),
    "zh": frozenset({"CJK"}), "ja": frozenset({"CJK", "HIRAGANA", "KATAKANA"}), "ko": frozenset({"HANGUL", "CJK"}),
}
KNOWN = frozenset(_SCRIPTS)


def parse(value: str) -> tuple[str, ...]:
    """`all`, or distinct lowercase language codes from `en, de`; ValueError naming an unknown code."""
    codes = tuple(dict.fromkeys(c.strip().lower() for c in value.split(",") if c.strip()))
    if not codes or ALL in codes:
        return (ALL,)
    unknown = [c for c in codes if c not in KNOWN]
    if unknown:
        raise ValueError(f"unknown language {', '.join(unknown)}: use ISO 639-1 codes (en, uk, de, …) or 'all'")
    return codes


def script(text: str) -> str | None:
    """The writing system most of the text's letters are in (LATIN, CYRILLIC, …); None without letters."""
    counts = Counter(unicodedata.name(ch, "?").split()[0] for ch in text if ch.isalpha())
    return counts.most_common(1)[0][0] if counts else None


def reads(languages: tuple[str, ...], text: str) -> bool:
    """Whether a model that reads these languages can read the question (no letters, e.g. a number: yes)."""
    if ALL in languages:
        return True
    found = script(text)
    return found is None or any(found in _SCRIPTS[code] for code in languages)
