"""What a voice answer says: the written answer's first paragraph, as plain sentences a speech engine reads well.

Strategy: the first paragraph, not a spoken summary. It needs no second model call, so a voice answer costs no
extra latency, tokens or quota, and it says exactly what the text says; answers lead with the point, so the first
paragraph is usually the answer. A leading hand-off marker ("→ ⚡ Helion") or heading is skipped, a paragraph that
ends with ":" brings the list it introduces, and the knowledge-base / web-search source list is never spoken.
"""
from __future__ import annotations

import re
from functools import cache

from i18n import languages, translator

__all__ = ["for_speech"]

_FENCE = re.compile(r"^[ \t]*(```|~~~)[^\n]*\n.*?(?:^[ \t]*\1[^\n]*$|\Z)", re.M | re.S)  # unclosed: to the end
_BLANK = re.compile(r"\n[ \t]*\n")
_MARKER = re.compile(r"^(→|->|=>)\s")  # the hand-off line agents.handoff.marker writes above an answer
_HEADING = re.compile(r"^#{1,6}\s+")
_EMPHASIS_LINE = re.compile(r"^(\*\*|__)[^*_]+\1:?$")  # "**Summary**" alone on its line is a heading too
_RULE = re.compile(r"^([-*_])(\s*\1){2,}$")
_BULLET = re.compile(r"^([-*+•▪‣◦]|\d{1,3}[.)])\s+")
_SOURCE_LINE = re.compile(r"^\[\d{1,3}\]\s")  # "[2] manual.pdf, p. 3" (bot/views/knowledge.py, search.py)
_INLINE = (  # (pattern, replacement), in order: links before URLs, code before emphasis, escapes last
    (re.compile(r"!?\[([^\]\n]*)\]\([^)\s]*(?:\s+\"[^\"]*\")?\)"), r"\1"),  # [text](url), ![alt](url)
    (re.compile(r"<(?:https?|mailto):[^>\s]+>"), ""),
    (re.compile(r"\b(?:https?://|www\.)\S+?(?=[.,;:!?)\]]*(?:\s|$))", re.I), ""),  # the sentence's own stop stays
    (re.compile(r"\[\d{1,3}\]"), ""),  # citations of the source list
    (re.compile(r"`+([^`\n]+?)`+"), r"\1"),
    (re.compile(r"(\*\*|__|~~)(?=\S)(.+?)(?<=\S)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"), r"\1"),
    (re.compile(r"(?<!\w)_(?=\S)([^_\n]+?)(?<=\S)_(?!\w)"), r"\1"),
    # Pictographs, dingbats, arrows, variation selectors, ZWJ, keycaps, skin tones, flags: espeak reads their names.
    (re.compile("[\u2190-\u21ff\u2300-\u23ff\u24c2\u25a0-\u25ff\u2600-\u27bf\u27f0-\u27ff\u2900-\u297f"
                "\u2b00-\u2bff\u3030\u303d\u3297\u3299\ufe0e\ufe0f\u200d\u20e3"
                "\U0001f000-\U0001faff\U000e0020-\U000e007f]"), " "),
    (re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])"), r"\1"),
)
_SPACE_BEFORE = re.compile(r"\s+([,.;:!?…])")
_EMPTY_BRACKETS = re.compile(r"\(\s*\)|\[\s*\]")
_SENTENCE_END = re.compile(r"[.!?…]+[\"'»”)\]]*(?=\s|$)")
_ENDS_SENTENCE = (".", "!", "?", "…", ":", ";")


def for_speech(text: str, *, max_chars: int = 600) -> str:
    """The part of an answer a voice message says, as plain text of at most `max_chars`; "" if nothing is speakable."""
    spoken: list[str] = []
    fallback = ""  # an answer that is only a heading still says its heading
    for paragraph in _BLANK.split(_FENCE.sub("\n\n", text.replace("\r\n", "\n"))):
        lines = [line.strip() for line in paragraph.strip().splitlines() if line.strip()]
        if _is_sources(lines):
            break  # the source list closes an answer: nothing after it is the answer either
        if not spoken:
            while lines and _is_header(lines[0]):
                if not fallback and not _MARKER.match(lines[0]):
                    fallback = _plain([lines[0]]).rstrip(":")
                lines.pop(0)
        plain = _plain(lines)
        if plain:
            spoken.append(plain)
            if not plain.endswith(":"):  # "Three options:" is said with the list it introduces
                break
    said = " ".join(spoken) or fallback
    if said.endswith(":"):
        said = said[:-1].rstrip() + "."
    return _cut(said, max_chars)


def _is_header(line: str) -> bool:
    """A hand-off marker, a Markdown heading, or a bold line standing alone."""
    return bool(_MARKER.match(line) or _HEADING.match(line) or _EMPHASIS_LINE.match(line))


@cache
def _sources_words() -> frozenset[str]:
    """"sources", "джерела": the heading bot/views/knowledge.py puts over the source list, in every language."""
    return frozenset(translator(lang)("kb_sources").strip().casefold() for lang in languages().available)


def _is_sources(lines: list[str]) -> bool:
    """A paragraph headed "Sources:" (in any catalog language), or made only of "[n] …" lines."""
    if not lines:
        return False
    head = lines[0].strip("*_# ").rstrip(":").strip("*_ ").casefold()
    return head in _sources_words() or all(_SOURCE_LINE.match(line) for line in lines)


def _plain(lines: list[str]) -> str:
    """Lines of Markdown as one run of plain sentences: list items and headings each end a sentence."""
    out = []
    for raw in lines:
        line = re.sub(r"^(>\s?)+", "", raw)
        if _RULE.match(line) or line.startswith("|"):
            continue  # rules and table rows: nothing a listener can follow
        item = _BULLET.match(line) or _HEADING.match(line)
        if item:
            line = line[item.end():]
        for pattern, replacement in _INLINE:
            line = pattern.sub(replacement, line)
        line = " ".join(line.split())
        if line and item and not line.endswith(_ENDS_SENTENCE):
            line += "."
        if line:
            out.append(line)
    text = _EMPTY_BRACKETS.sub("", " ".join(out))
    return _SPACE_BEFORE.sub(r"\1", " ".join(text.split())).strip()


def _cut(text: str, max_chars: int) -> str:
    """At most `max_chars`: up to the last sentence end that keeps a fair share, else whole words and "…"."""
    if len(text) <= max_chars:
        return text
    ends = [m.end() for m in _SENTENCE_END.finditer(text) if m.end() <= max_chars]
    if ends and ends[-1] >= max_chars // 3:  # a first sentence of ten characters is not worth saying alone
        return text[:ends[-1]]
    room = text[:max(max_chars - 1, 0)]
    space = room.rfind(" ")
    words = room[:space] if space > 0 else room
    return words.rstrip(" ,;:—–-") + "…"
