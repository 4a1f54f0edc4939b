"""Whether a chat question needs fresh facts from the web: a keyword and date heuristic, no model call.

Two precompiled regexes over the lowercased text (Ukrainian and English stems together: people mix them).
A *strong* cue alone says yes ("новини", "курс долара", "weather", "latest version", "знайди в інтернеті");
*weak* cues ("зараз", "now", "price", a recent year) need a second cue, so "я зараз подумав…" stays a chat.
A few microseconds a decision; precision and recall on bench/data/search_decision.yaml: bench/search_decision.py.
"""
from __future__ import annotations

import re
from datetime import date

_W = r"(?<!\w)"  # a stem starts a word

# Alone enough: the answer is news, a live number, or the user asked for the web.
_STRONG = (
    # news and what just happened
    r"новин", r"новост", r"news\b", r"headlines?\b", r"breaking\b", r"щойно\b", r"останні\s+поді", r"latest\b",
    r"найсвіжіш", r"свіж\w*\s+(?:новин|дан|інформац)",
    # live numbers: rates, quotes, weather, scores
    r"курс\w*\s+(?:гривн|долар|євро|валют|біткоїн|btc|usd|eur|uah|крипт)", r"exchange\s+rate", r"котирув",
    r"погод", r"weather\b", r"forecast\b", r"прогноз\w*\s+погод", r"температур\w*\s+(?:в|у|за)\s",
    r"stock\s+price", r"share\s+price", r"ціна\s+(?:акці|біткоїн|нафти|газу|золота)", r"bitcoin\s+price",
    r"хто\s+(?:виграв|переміг)", r"хто\s+(?:зараз|тепер|нині)\b", r"who\s+is\s+(?:the\s+)?current\b",
    r"who\s+won\b", r"рахунок\s+матчу", r"score\s+of\b",
    # asked for the web
    r"пошукай", r"знайди\s+(?:в|у)\s+(?:інтернеті|мережі|гуглі)",
    r"погугли", r"загугли", r"google\s+it\b", r"search\s+(?:the\s+)?(?:web|internet|online)", r"look\s+it\s+up",
    r"look\s+up\b", r"find\s+online", r"on\s+the\s+(?:web|internet)\b", r"посилання\s+на\s+(?:статт|джерел|сайт)",
    r"links?\s+to\s+(?:the\s+)?(?:article|source|site)",
    # "this week", "цього тижня", "на цьому тижні"
    r"(?:this|past|last)\s+(?:week|month)\b", r"цього\s+(?:тижня|місяця)", r"на\s+цьому\s+тижні",
    r"минулого\s+тижня", r"минулому\s+тижні",
)
# Each says "maybe fresh"; two of them (or one and a recent year) say yes.
_WEAK = (
    r"сьогодн", r"зараз\b", r"нині\b", r"наразі\b", r"тепер\b", r"[ув]чора\b", r"завтра\b", r"поточн", r"актуальн",
    r"останн", r"today\b", r"tonight\b", r"now\b", r"currently\b", r"current\b", r"recent", r"yesterday\b",
    r"tomorrow\b", r"this\s+year\b", r"цього\s+року", r"up\s+to\s+date\b",
    r"курс\b", r"rate\b", r"ціна\b", r"ціни\b", r"цін[уі]\b", r"варт\w*\b", r"коштує\b", r"коштують\b", r"price",
    r"how\s+much\s+(?:is|does|are)\b", r"cost\b", r"розклад", r"schedule\b", r"release", r"реліз", r"вийшл",
    r"нов\w+\s+версі", r"new\s+version", r"вибор", r"election", r"оновленн", r"update[sd]?\b", r"сайт",
    r"website\b", r"сезон", r"матч", r"match\b", r"ринк", r"market\b", r"що\s+сталося", r"what\s+happened",
)
_YEAR = re.compile(r"(?<!\d)(20\d\d)(?!\d)")


def _alternation(stems: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(_W + "(?:" + "|".join(stems) + ")")


_STRONG_RE = _alternation(_STRONG)
_WEAK_RE = _alternation(_WEAK)


def _recent_year(text: str, this_year: int) -> bool:
    """A year from last year on ("у 2026", "in 2025"): what happened then may postdate the model's training."""
    return any(int(y) >= this_year - 1 for y in _YEAR.findall(text))


def needs_web(text: str, language: str = "", *, this_year: int | None = None) -> bool:
    """True when answering `text` well needs fresh facts from the web (news, rates, weather, a recent date).

    `language` is accepted for the interface's sake: the stems of both languages are checked for every text,
    since people write "курс bitcoin today" as readily as either language alone.
    """
    lowered = text.lower()
    if _STRONG_RE.search(lowered):
        return True
    weak = len(_WEAK_RE.findall(lowered))
    if weak >= 2:
        return True
    return weak >= 1 and _recent_year(lowered, this_year or date.today().year)
