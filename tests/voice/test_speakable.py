"""What a voice answer says: the first paragraph, in plain words, never the source list, never too long."""
from __future__ import annotations

import pytest

from agents.search.types import SearchAnswer, Source
from bot.views.knowledge import with_sources
from bot.views.search import answer_text
from rag.types import Passage
from voice.speakable import for_speech

ANSWER = """Water tomatoes early in the morning, at the roots, about two litres per plant.

In hot weeks add an evening watering. Mulch keeps the soil moist for longer.
"""


def passage(name: str, page: int = 0) -> Passage:
    return Passage(text="…", file_name=name, page=page, doc_id="d1", chunk_index=0, scope="chat:1", score=0.9)


def test_only_the_first_paragraph_is_said() -> None:
    assert for_speech(ANSWER) == "Water tomatoes early in the morning, at the roots, about two litres per plant."


def test_a_hand_off_marker_and_a_heading_above_the_answer_are_skipped() -> None:
    handed = "→ ⚡ Helion\n\n## Solar panels\n\nPanels give most power at noon.\n\nMore detail."
    assert for_speech(handed) == "Panels give most power at noon."
    assert for_speech("**Short answer**\nYes, it is safe.") == "Yes, it is safe."


def test_an_answer_that_is_only_a_heading_says_it() -> None:
    assert for_speech("# Done") == "Done."


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_the_knowledge_base_sources_are_never_said(lang: str) -> None:
    passages = [passage("manual.pdf", 3), passage("faq.docx")]
    short = with_sources("Reset the router by holding the button for ten seconds [1].", passages, lang)
    assert for_speech(short) == "Reset the router by holding the button for ten seconds."
    listing = with_sources("Two ways to reset it:", passages, lang)  # the list it introduces never came
    said = for_speech(listing)
    assert "manual" not in said and "faq" not in said and said == "Two ways to reset it."
    assert for_speech(with_sources("", passages, lang)) == ""


def test_web_search_sources_are_never_said() -> None:
    found = SearchAnswer(text="The launch moved to **Friday** [1].", partial=False, path="plain", model_calls=1,
                         tokens_in=0, tokens_out=0, sources=(Source(1, "Launch news", "https://news.example.org/l"),))
    said = for_speech(answer_text(found, "en", 60))
    assert said == "The launch moved to Friday."


def test_markdown_is_spoken_as_plain_words() -> None:
    text = ("**Bold** and *italic* and _also_ ~~gone~~, `pip install dagi`, see [the guide](https://x.org/g) "
            "or https://example.com/page. snake_case_name and 2 * 3 = 6 stay; 3.5 litres.")
    assert for_speech(text) == ("Bold and italic and also gone, pip install dagi, see the guide or. "
                                "snake_case_name and 2 * 3 = 6 stay; 3.5 litres.")


def test_a_list_introduced_by_a_colon_becomes_sentences() -> None:
    text = "Three things to check:\n\n- the **cable**\n- the power light\n1. the fuse\n\nIf all fail, call us."
    assert for_speech(text) == "Three things to check: the cable. the power light. the fuse."


def test_code_blocks_are_not_read_out() -> None:
    code = "```python\nimport os\n\nprint(os.getcwd())\n```\n\nThis prints the current folder.\n\nMore."
    assert for_speech(code) == "This prints the current folder."
    assert for_speech("Run this:\n```bash\nls -la\n```") == "Run this."
    assert for_speech("```\nunclosed block, the stream was cut") == ""


def test_pictographic_emoji_are_dropped_but_words_stay() -> None:
    text = "✅ Готово! 🎉👍🏽 Полив о 6:00 🇺🇦 — 🌱 GREENFOOD радить мульчу."
    assert for_speech(text) == "Готово! Полив о 6:00 — GREENFOOD радить мульчу."


def test_nothing_speakable_is_an_empty_string() -> None:
    for text in ("", "   \n\n ", "🎉🎉", "https://example.com", "```\ncode\n```", "---", "| a | b |\n|---|---|"):
        assert for_speech(text) == "", text


def test_long_answers_are_cut_on_a_sentence_end() -> None:
    text = " ".join(f"Sentence number {n} says a little more." for n in range(40))
    said = for_speech(text, max_chars=200)
    assert len(said) <= 200 and said.endswith("more.") and text.startswith(said)
    assert len(said) > 150  # as many whole sentences as fit


def test_without_a_sentence_end_in_reach_the_cut_is_on_a_word_with_an_ellipsis() -> None:
    text = "Ok. " + "word " * 300
    said = for_speech(text, max_chars=100)
    assert len(said) <= 100 and said.endswith("word…") and "wor…" not in said
    one_long_word = "x" * 500
    assert for_speech(one_long_word, max_chars=50) == "x" * 49 + "…"


def test_a_decimal_point_is_not_a_sentence_end() -> None:
    text = "The tank holds 3.5 litres and " + "more words " * 20
    said = for_speech(text, max_chars=40)
    assert said.endswith("…") and "3.5" in said
