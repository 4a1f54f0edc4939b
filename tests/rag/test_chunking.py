"""rag.chunking: sizes, overlap, exact pages and indexes, Ukrainian word boundaries."""
from __future__ import annotations

import random
from itertools import pairwise

import pytest

from rag.chunking import chunk, count_tokens
from rag.types import Extracted, Page

UKRAINIAN_WORDS = ["договір", "оренди", "квартири", "м'яка", "ціна", "сторони", "домовилися", "про", "сплату",
                   "щомісяця", "гривень", "орендар", "зобов'язується", "утримувати", "житло", "в", "належному",
                   "стані", "орендодавець", "надає", "ключі", "підписи", "печатка", "київ", "львів", "харків",
                   "одеса", "дніпро", "їжак", "ґанок", "єнот"]


def numbered(prefix: str, count: int) -> str:
    """Words that say where they came from (prefix and position), in sentences and paragraphs."""
    sentences = [" ".join(f"{prefix}w{i + j}" for j in range(12)) + "." for i in range(0, count, 12)]
    return "\n\n".join(" ".join(sentences[i:i + 5]) for i in range(0, len(sentences), 5))


def words(text: str) -> list[str]:
    """Whitespace-separated words without the sentence dots."""
    return text.replace(".", " ").split()


def test_count_tokens_counts_words_and_punctuation() -> None:
    assert count_tokens("") == 0
    assert count_tokens("Привіт, світ!") == 4
    assert count_tokens("м'ята 12,5 грн.") == 8
    assert count_tokens("  \n\t ") == 0


def test_long_text_gives_chunks_within_size_that_overlap() -> None:
    text = numbered("p", 3000)
    chunks = chunk(Extracted((Page(0, text),), "txt"), size=200, overlap=40)
    assert len(chunks) > 10
    assert all(0 < count_tokens(c.text) <= 200 for c in chunks)
    for a, b in pairwise(chunks):
        shared = set(words(a.text)) & set(words(b.text))
        assert 0 < len(shared) <= 40
        assert words(b.text)[0] in shared  # the next chunk starts inside the previous one
    covered = set().union(*(words(c.text) for c in chunks))
    assert covered == set(words(text))  # nothing lost between chunks


def test_no_overlap_means_disjoint_chunks() -> None:
    chunks = chunk(Extracted((Page(0, numbered("p", 1200)),), "txt"), size=100, overlap=0)
    seen: list[str] = [w for c in chunks for w in words(c.text)]
    assert len(seen) == len(set(seen)) == 1200


def test_chunks_never_span_pages_and_indexes_run_across_the_document() -> None:
    pages = (Page(1, numbered("a", 700)), Page(2, ""), Page(3, numbered("c", 50)), Page(4, numbered("d", 900)))
    chunks = chunk(Extracted(pages, "pdf"), size=120, overlap=20)
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert {c.page for c in chunks} == {1, 3, 4}  # the empty page gives no chunk
    prefix = {1: "a", 3: "c", 4: "d"}
    for c in chunks:
        assert all(w.startswith(prefix[c.page] + "w") for w in words(c.text)), c
    assert [c.page for c in chunks] == sorted(c.page for c in chunks)


def test_ukrainian_text_splits_at_word_boundaries() -> None:
    rng = random.Random(5)
    sentences = [" ".join(rng.choice(UKRAINIAN_WORDS) for _ in range(rng.randint(5, 20))).capitalize() + "."
                 for _ in range(300)]
    text = " ".join(sentences)
    vocabulary = {w.lower().strip(".") for w in text.split()}
    chunks = chunk(Extracted((Page(0, text),), "txt"), size=80, overlap=15)
    assert len(chunks) > 5
    for c in chunks:
        assert count_tokens(c.text) <= 80
        assert all(w.lower().strip(".") in vocabulary for w in c.text.split()), c.text


def test_small_text_is_one_chunk_and_blank_pages_none() -> None:
    assert chunk(Extracted((Page(0, "Коротка нотатка."),), "md")) == [
        chunk(Extracted((Page(0, "Коротка нотатка."),), "md"))[0]]
    assert chunk(Extracted((Page(0, "Коротка нотатка."),), "md"))[0].text == "Коротка нотатка."
    assert chunk(Extracted((Page(1, "  \n "), Page(2, "")), "pdf")) == []


def test_deterministic() -> None:
    extracted = Extracted((Page(1, numbered("x", 2000)), Page(2, numbered("y", 500))), "pdf")
    assert chunk(extracted, size=150, overlap=30) == chunk(extracted, size=150, overlap=30)


@pytest.mark.parametrize("overlap", [75, 100, 500])
def test_overlap_beyond_half_the_size_is_capped(overlap: int) -> None:
    chunks = chunk(Extracted((Page(0, numbered("p", 1000)),), "txt"), size=100, overlap=overlap)
    assert all(count_tokens(c.text) <= 100 for c in chunks)
    assert len(chunks) <= 40  # an uncapped overlap of 99 tokens would step one token at a time: ~1000 chunks


def test_a_word_longer_than_a_chunk_is_still_cut_to_size() -> None:
    text = "початок " + "-" * 1000 + " кінець"
    chunks = chunk(Extracted((Page(0, text),), "txt"), size=50, overlap=10)
    assert all(count_tokens(c.text) <= 50 for c in chunks)
    assert "початок" in chunks[0].text and "кінець" in chunks[-1].text
