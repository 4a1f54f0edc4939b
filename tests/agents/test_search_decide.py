"""The automatic web-search decision: what needs fresh facts, what does not, and that it stays cheap."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from agents.search.decide import needs_web

DATA = Path(__file__).resolve().parents[2] / "bench" / "data" / "search_decision.yaml"
ITEMS = yaml.safe_load(DATA.read_text(encoding="utf-8"))["questions"]


@pytest.mark.parametrize("text", ["Який курс гривні до долара сьогодні?", "news about EcoMiner this week",
                                  "Яка погода в Києві завтра?", "Пошукай відгуки про BioMiner",
                                  "latest version of Ollama", "Хто виграв матч?", "Ціна газу в 2026 році?"])
def test_fresh_facts_need_the_web(text: str) -> None:
    assert needs_web(text, "uk", this_year=2026)


@pytest.mark.parametrize("text", ["Що таке microDAO?", "Привіт! Хто ти?", "Я зараз подумав: а як ролі призначають?",
                                  "Now explain it like I'm five", "How do I store hard cheese?", "", "2026"])
def test_explanations_and_chat_do_not(text: str) -> None:
    assert not needs_web(text, "en", this_year=2026)


def test_an_old_year_is_no_reason_but_a_recent_one_with_a_cue_is() -> None:
    assert not needs_web("Які оновлення мережі були у 2015 році?", "uk", this_year=2026)
    assert needs_web("Які оновлення мережі у 2025 році?", "uk", this_year=2026)
    assert not needs_web("Що змінилося у 2026 році?", "uk", this_year=2026), "a year alone is not enough"


def test_the_labelled_list_is_big_enough_and_scored_well() -> None:
    assert len(ITEMS) >= 60 and {i["lang"] for i in ITEMS} == {"uk", "en"}
    assert sum(1 for i in ITEMS if i["web"]) >= 30 and sum(1 for i in ITEMS if not i["web"]) >= 30
    said = [(i["web"], needs_web(i["text"], i["lang"], this_year=2026)) for i in ITEMS]
    tp = sum(1 for want, got in said if want and got)
    fp = sum(1 for want, got in said if got and not want)
    fn = sum(1 for want, got in said if want and not got)
    assert tp / (tp + fp) >= 0.95, "a wrong search costs a user a minute and a quota: keep precision high"
    assert tp / (tp + fn) >= 0.85


def test_a_decision_costs_microseconds_even_for_the_longest_message() -> None:
    text = " ".join(i["text"] for i in ITEMS) * 2
    needs_web(text, "uk")
    start = time.perf_counter()
    for _ in range(20):
        needs_web(text, "uk")
    assert (time.perf_counter() - start) / 20 < 0.002  # measured ~25 µs; generous for a loaded CI machine
