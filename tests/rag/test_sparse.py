"""rag.sparse: Ukrainian lemmas and English words as 5-character stems, stable ids, BM25 term weights."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag import sparse
from rag.sparse import doc_vector, query_vector, token_id, tokens
from rag.types import SparseVector

ROOT = Path(__file__).resolve().parents[2]


def test_ukrainian_inflections_share_a_stem() -> None:
    assert tokens("Енергетики") == tokens("енергетика") == tokens("ЕНЕРГЕТИЦІ") == ["енерг"]
    assert token_id("енерг") in set(doc_vector("Розвиток енергетики України").indices)


@pytest.mark.parametrize(("forms", "stem"), [
    ("пісня пісень пісні", "пісня"),  # 5-character prefixes alone split these: пісня / пісен
    ("день дня днів", "день"),
    ("люди людей", "людин"),
    ("місто міста містах", "місто"),
    ("Каліфорнія Каліфорнії", "каліф"),  # proper nouns too, whatever their case
])
def test_ukrainian_inflected_forms_match_their_dictionary_form(forms: str, stem: str) -> None:
    assert set(tokens(forms)) == {stem}
    base = forms.split()[0]
    for form in forms.split()[1:]:
        assert token_id(stem) in set(doc_vector(f"Розповідь про {form} і не тільки").indices)
        assert token_id(stem) in set(query_vector(base).indices)


def test_ukrainian_function_words_go_in_every_form() -> None:
    assert tokens("В якому році, у якій країні") == ["рік", "країн"]
    assert tokens("його їх ними для або") == []


def test_mixed_ukrainian_and_english_text_stems_each_word_by_its_script() -> None:
    assert tokens("Sky Digital запустили у 1998 році") == ["sky", "digit", "запус", "1998", "рік"]


def test_english_words_are_cut_to_five_characters() -> None:
    assert tokens("Photovoltaic panels, photovoltaics!") == ["photo", "panel", "photo"]


@pytest.mark.parametrize("spelling", ["п'ять", "п’ять", "пʼять", "П'ЯТЬ"])
def test_apostrophes_inside_words_are_kept_and_unified(spelling: str) -> None:
    assert tokens(spelling) == ["п'ять"]
    assert tokens(f"м’ясо і {spelling} яблук") == ["м'ясо", "п'ять", "яблук"]


def test_apostrophes_at_word_edges_and_english_clitics_are_dropped() -> None:
    assert tokens("'quoted' what's going") == ["quote", "going"]


def test_stopwords_of_both_languages_are_dropped() -> None:
    assert tokens("що це таке і як") == []
    assert tokens("what is the capital of it") == ["capit"]


def test_token_ids_are_fixed_31_bit_numbers() -> None:
    assert token_id("енерг") == 524501903  # changing it orphans every stored vector: bump sparse.VERSION
    assert 0 <= token_id("solar") < 2**31


def test_token_ids_do_not_depend_on_the_process_hash_seed() -> None:
    code = "from rag.sparse import token_id; print(token_id('енерг'), token_id('solar'))"
    outputs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
        outputs.add(run.stdout.strip())
    assert outputs == {f"524501903 {token_id('solar')}"}


def test_doc_vector_is_the_bm25_term_frequency_part() -> None:
    k1, b, avg = 1.2, 0.75, 4.0
    vec = doc_vector("solar solar winds", avg_len=avg, k1=k1, b=b)
    norm = k1 * (1 - b + b * 3 / avg)
    want = {token_id("solar"): 2 * (k1 + 1) / (2 + norm), token_id("winds"): 1 * (k1 + 1) / (1 + norm)}
    assert _weights(vec) == pytest.approx(want)
    assert list(vec.indices) == sorted(vec.indices)  # unique and ordered, as Qdrant wants them


def test_term_frequency_saturates_and_long_chunks_weigh_less() -> None:
    sun = token_id("сонце")
    once, often = _weights(doc_vector("сонце вітер"))[sun], _weights(doc_vector("сонце " * 50 + "вітер"))[sun]
    assert once < often < 1.2 + 1  # grows with repeats, never above k1 + 1
    short = _weights(doc_vector("сонце вітер", avg_len=10))[sun]
    long = _weights(doc_vector("сонце вітер " + "дощ " * 40, avg_len=10))[sun]
    assert long < short


def test_query_vector_weighs_each_distinct_token_once() -> None:
    vec = query_vector("Solar, solar and winds")
    assert sorted(vec.indices) == sorted({token_id("solar"), token_id("winds")})
    assert vec.values == (1.0, 1.0)


def test_empty_and_stopword_only_texts_give_empty_vectors() -> None:
    for text in ("", "   ", "і та що", "!!! ---"):
        assert query_vector(text).indices == () and doc_vector(text).indices == ()


def test_version_names_the_tokenizer() -> None:
    assert sparse.VERSION.startswith("bm25-uklemma-prefix5-ukgram4")


def test_grams_match_an_inflected_form_the_lemmatiser_leaves_apart() -> None:
    # The stems differ (спові / вірос, елект / гідро), so the words alone cannot match these.
    for question, passage in (("сповідували", "віросповідання"), ("електростанція", "гідроелектростанції Дніпра")):
        assert not set(tokens(question)) & set(tokens(passage))
        assert set(query_vector(question).indices) & set(doc_vector(passage).indices)
    assert sparse.grams("Віросповідання, нормандців і Рим") == [  # as written (lowercased); none of a short word
        "віро", "ірос", "росп", "оспо", "спов", "пові", "овід", "віда", "ідан", "данн", "ання",
        "норм", "орма", "рман", "манд", "андц", "ндці", "дців"]


def test_a_query_gram_counts_less_than_a_word() -> None:
    vec = _weights(query_vector("сповідували Hastings"))
    assert vec[token_id("спові")] == vec[token_id("hasti")] == 1.0
    grams = [w for i, w in vec.items() if i not in (token_id("спові"), token_id("hasti"))]
    assert grams and set(grams) == {sparse.GRAM_WEIGHT} and sparse.GRAM_WEIGHT < 1.0
    assert sparse.grams("Hastings photovoltaic") == []  # English words: the 5-letter stems serve them


def _weights(vec: SparseVector) -> dict[int, float]:
    return dict(zip(vec.indices, vec.values, strict=False))
