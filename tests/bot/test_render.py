"""Splitting long Markdown for Telegram: limits in UTF-16 units, progress on any input, fences balanced."""
from __future__ import annotations

import pytest

from bot.delivery.render import FENCE, SOURCE_LIMIT, cut_point, render_all, split_markdown, utf16_len


@pytest.mark.parametrize("text", ["😀" * 5000, "a😀" * 3000, "😀" * 3799 + " " + "😀" * 3000, "𝕏" * 9000])
def test_long_emoji_runs_split_into_whole_pieces_within_the_limit(text: str) -> None:
    parts = split_markdown(text)
    assert "".join(parts) == text, "nothing lost, nothing repeated"
    assert all(0 < utf16_len(p) <= SOURCE_LIMIT for p in parts)
    assert len(parts) <= utf16_len(text) // (SOURCE_LIMIT // 2) + 1, "pieces are not tiny"


def test_cut_point_always_progresses() -> None:
    assert cut_point("😀" * 5000, SOURCE_LIMIT) == SOURCE_LIMIT // 2
    assert cut_point("😀" * 10, 1) == 1, "a character wider than the limit still moves forward"


def test_an_emoji_run_inside_a_code_block_keeps_fences_balanced() -> None:
    text = "Вступ\n\n```\n" + "😀" * 6000 + "\n```\nКінець"
    parts = split_markdown(text)
    assert len(parts) >= 4
    assert all(len(FENCE.findall(p)) % 2 == 0 for p in parts)
    assert "".join(p.replace("```", "").replace("\n", "") for p in parts).count("😀") == 6000


def test_rendered_pieces_fit_telegram() -> None:
    pieces = render_all("**Заголовок**\n\n" + "🌻" * 9000)
    assert all(utf16_len(p.text) <= 4096 for p in pieces)
    assert sum(p.text.count("🌻") for p in pieces) == 9000
