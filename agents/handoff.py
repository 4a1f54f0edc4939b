"""Hand-off: which specialist, if any, the front-door persona passes one question to.

A keyword/stem classifier, not a model call: one lowercase pass and one precompiled regex (a trie
of every candidate's stems) per front-door persona, a few microseconds a message (bench/handoff.py).
The front door's own topics compete too, so a question about voting on a solar proposal stays with it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agents.persona import AgentsConfig, Persona


@dataclass(frozen=True, slots=True)
class Handoff:
    """The persona that answers instead of the front door, and the line the user sees above the answer."""

    persona: Persona
    marker: str  # e.g. "→ ⚡ Helion"


@dataclass(frozen=True, slots=True)
class _Matcher:
    """One front door's candidates: a regex over all their stems and which persona owns each stem."""

    pattern: re.Pattern[str]  # group 1: a whole-word topic ("сир$"), group 2: a stem ("сонячн")
    whole: dict[str, tuple[str, ...]]  # matched word → persona ids whose topics contain it
    stems: dict[str, tuple[str, ...]]
    candidates: dict[str, Handoff]  # the specialists, by id
    threshold: int


_END = r"(?!\w)"  # a whole-word topic must not continue into more letters


Trie = dict[str, "Trie"]  # one letter → the letters after it; "" marks a word's end


def _alternation(words: dict[str, list[str]]) -> str:
    """The words as one regex trie ("сон(?:ячн)?"): each word start checks one branch, not every stem.

    Longer words are tried before a shorter one they extend, so "сонячн" wins over "сон".
    """
    trie: Trie = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}  # a word ends here

    def emit(node: Trie) -> str:
        alts = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not alts:
            return ""
        if len(alts) == 1 and "" not in node:
            return alts[0]
        return "(?:" + "|".join(alts) + ")" + ("?" if "" in node else "")

    return emit(trie) or r"(?!x)x"  # no words: a pattern that never matches


def _compile(front: Persona, specialists: list[Persona]) -> _Matcher:
    whole: dict[str, list[str]] = {}
    stems: dict[str, list[str]] = {}
    for persona in (front, *specialists):
        for topic in persona.topics:
            table = whole if topic.endswith("$") else stems
            table.setdefault(topic.removesuffix("$"), []).append(persona.key)
    words, prefixes = _alternation(whole), _alternation(stems)
    pattern = re.compile(rf"(?<!\w)(?:({words}){_END}|({prefixes}))")
    return _Matcher(pattern, {w: tuple(dict.fromkeys(k)) for w, k in whole.items()},
                    {s: tuple(dict.fromkeys(k)) for s, k in stems.items()},
                    {p.key: Handoff(p, marker(p)) for p in specialists}, front.handoff_threshold)


def marker(persona: Persona) -> str:
    """The visible line naming who answers: "→ ⚡ Helion"."""
    return f"→ {persona.emoji} {persona.name}" if persona.emoji else f"→ {persona.name}"


class HandoffRules:
    """Built once from the personas; `decide` is pure and cheap enough for every message."""

    def __init__(self, personas: AgentsConfig) -> None:
        self._matchers = {p.key: _compile(p, [personas.agents[k] for k in p.hands_off_to])
                          for p in personas.agents.values() if p.hands_off_to}

    def scores(self, persona: Persona, text: str) -> dict[str, int]:
        """Topic hits per persona id (the front door's own included) for a message to `persona`."""
        matcher = self._matchers.get(persona.key)
        hits: dict[str, int] = {}
        if matcher is None:
            return hits
        for word, stem in matcher.pattern.findall(text.lower()):
            for key in matcher.whole[word] if word else matcher.stems[stem]:
                hits[key] = hits.get(key, 0) + 1
        return hits

    def decide(self, persona: Persona, text: str) -> Handoff | None:
        """The specialist to answer, when it has enough hits and strictly more than anyone else."""
        matcher = self._matchers.get(persona.key)
        if matcher is None:
            return None
        hits = self.scores(persona, text)
        if not hits:
            return None
        best = max(hits, key=hits.__getitem__)
        top = hits[best]
        if best not in matcher.candidates or top < matcher.threshold:
            return None
        if sum(1 for n in hits.values() if n == top) > 1:
            return None  # a tie: the front door answers and can ask what the user means
        return matcher.candidates[best]
