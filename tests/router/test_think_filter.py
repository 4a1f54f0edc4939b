"""The incremental <think> filter."""
from __future__ import annotations

import pytest

from router.think import ThinkFilter, strip_think


def run(chunks: list[str]) -> str:
    f = ThinkFilter()
    return "".join(f.feed(c) for c in chunks) + f.flush()


def every_split(text: str) -> list[list[str]]:
    """All ways to cut `text` into two or three pieces, plus one char at a time."""
    out = [[text[:i], text[i:]] for i in range(len(text) + 1)]
    out += [[text[:i], text[i:j], text[j:]] for i in range(len(text)) for j in range(i, len(text))]
    out.append(list(text))
    return out


@pytest.mark.parametrize(
    "text, visible",
    [
        ("plain answer", "plain answer"),
        ("<think>\nreasoning\n</think>\n\nHello!", "Hello!"),
        ("<think></think>Hi", "Hi"),
        ("Before <think>secret</think> after", "Before after"),
        ("a <thin b", "a <thin b"),
        ("x < y and y > z", "x < y and y > z"),
        ("1 <think>one</think>2 <think>two</think>3", "1 2 3"),
        ("<think>never closed, all secret", ""),
        ("ok <think>secret tail", "ok "),
        ("reasoning without opener</think>\nAnswer", "reasoning without openerAnswer"),
        ("ends with a partial tag <", "ends with a partial tag <"),
        ("ends with <thi", "ends with <thi"),
    ],
)
def test_visible_text_for_every_chunking(text: str, visible: str) -> None:
    for chunks in every_split(text):
        assert run(chunks) == visible, chunks


def test_text_inside_tags_is_never_emitted_even_transiently() -> None:
    f = ThinkFilter()
    shown = [f.feed(c) for c in ["<", "thi", "nk>se", "cret</th", "ink>", "\n\nvisible"]]
    assert "".join(shown) == "visible"
    assert not any("se" in s or "cret" in s for s in shown)


def test_visible_text_is_released_as_soon_as_it_cannot_be_a_tag() -> None:
    f = ThinkFilter()
    assert f.feed("Hello <") == "Hello "
    assert f.feed("b>") == "<b>"


def test_unclosed_think_at_start_shows_nothing() -> None:
    f = ThinkFilter()
    assert f.feed("<think>") == ""
    assert f.feed("I should say hi") == ""
    assert f.flush() == ""


def test_strip_think_helper() -> None:
    assert strip_think("<think>x</think>\n\nyes") == "yes"
