"""A fetched page's bytes → (title, plain text): trafilatura for the main content, BeautifulSoup when it finds none.

Blocking and CPU-bound: PageReader runs `extract` in a worker thread. The text is data for the model to read;
nothing here interprets it.
"""
from __future__ import annotations

import codecs
import re

__all__ = ["TEXT_TYPES", "extract", "normalise"]

TEXT_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/plain"})
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_DROP = ("script", "style", "noscript", "template", "svg", "iframe", "head")


def normalise(text: str) -> str:
    """Runs of spaces → one, at most one blank line in a row, no space at line ends."""
    lines = (_SPACES.sub(" ", line).strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def _decode(body: bytes, charset: str | None) -> str:
    """Text in the declared charset, else the one charset-normalizer finds, else UTF-8 with replacements."""
    if charset:
        try:
            return body.decode(codecs.lookup(charset).name, errors="replace")
        except LookupError:
            pass
    from charset_normalizer import from_bytes

    best = from_bytes(body).best()
    return str(best) if best is not None else body.decode("utf-8", errors="replace")


def _trafilatura(html: str | bytes, url: str) -> tuple[str, str]:
    from trafilatura import bare_extraction
    from trafilatura.settings import Document

    doc = bare_extraction(html, url=url, with_metadata=True, include_comments=False, include_tables=True,
                          include_images=False, include_links=False)
    if not isinstance(doc, Document):
        return "", ""
    return (doc.title or "").strip(), doc.text or ""


def _soup(html: str | bytes) -> tuple[str, str]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "lxml")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    for tag in soup(_DROP):
        tag.decompose()
    return title, soup.get_text("\n")


def extract(body: bytes, mime: str, charset: str | None, url: str) -> tuple[str, str]:
    """(title, text) of an HTML/XHTML page or a plain-text file; ("", "") when there is no text at all."""
    if mime == "text/plain":
        return "", normalise(_decode(body, charset))
    html: str | bytes = _decode(body, charset) if charset else body  # without a charset the parsers sniff <meta>
    title, text = _trafilatura(html, url)
    if not text.strip():  # a short page, a list, a page of links: trafilatura keeps no "main content"
        soup_title, text = _soup(html)
        title = title or soup_title
    elif not title:
        title = _soup(html)[0]
    return " ".join(title.split()), normalise(text)
