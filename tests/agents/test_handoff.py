"""The hand-off classifier: who answers a question sent to the front door, and how config mistakes read."""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from agents.handoff import HandoffRules
from agents.persona import AgentsConfig, load_personas
from base import ConfigError
from bot.turn.handoff import MarkedSink, hand_off
from storage.records import ChatState, Inbound, Scope

REAL = Path(__file__).resolve().parents[2] / "config" / "agents.yaml"


@pytest.fixture(scope="module")
def personas() -> AgentsConfig:
    return load_personas(REAL)


@pytest.fixture(scope="module")
def rules(personas: AgentsConfig) -> HandoffRules:
    return HandoffRules(personas)


def who(personas: AgentsConfig, rules: HandoffRules, text: str, front: str = "daarwizz") -> str:
    decision = rules.decide(personas.agents[front], text)
    return decision.persona.key if decision else front


@pytest.mark.parametrize("text", [
    "Що таке EcoMiner і як він працює?",
    "Скільки кВт·год дає когенераційна установка?",
    "Чи окупляться сонячні панелі на даху?",
    "How does cogeneration produce heat and electricity?",
    "What is biochar used for?",
    "ЩО ТАКЕ BIOMINER?",
])
def test_energy_questions_go_to_helion(personas: AgentsConfig, rules: HandoffRules, text: str) -> None:
    assert who(personas, rules, text) == "helion"


@pytest.mark.parametrize("text", [
    "Як оформити нову партію сиру?",
    "Що писати на етикетці варення?",
    "Як прийняти товар від постачальника на склад?",
    "How do I register a new batch of cheese?",
    "Help me with a HACCP plan for a bakery",
])
def test_food_questions_go_to_greenfood(personas: AgentsConfig, rules: HandoffRules, text: str) -> None:
    assert who(personas, rules, text) == "greenfood"


@pytest.mark.parametrize("text", [
    "Як створити microDAO?",
    "Who can submit a proposal?",
    "Привіт! Хто ти?",
    "",
    "🙂🙂🙂",
])
def test_dao_and_general_questions_stay(personas: AgentsConfig, rules: HandoffRules, text: str) -> None:
    assert who(personas, rules, text) == "daarwizz"


def test_a_tie_stays_with_the_front_door(personas: AgentsConfig, rules: HandoffRules) -> None:
    text = "Can I put solar panels on the warehouse roof?"
    scores = rules.scores(personas.agents["daarwizz"], text)
    assert scores["helion"] == scores["greenfood"] >= 1
    assert who(personas, rules, text) == "daarwizz"


def test_the_front_doors_own_topics_compete(personas: AgentsConfig, rules: HandoffRules) -> None:
    # One energy word against two DAO words: a question about voting, not about energy.
    assert who(personas, rules, "Як проголосувати за пропозицію в microDAO про сонячну станцію?") == "daarwizz"


def test_whole_word_topics_do_not_match_longer_words(personas: AgentsConfig, rules: HandoffRules) -> None:
    assert who(personas, rules, "Яка сировина потрібна для BioMiner?") == "helion", "сировина is not сир"
    assert who(personas, rules, "Скільки коштує кілограм сиру?") == "greenfood"


def test_specialists_never_hand_off(personas: AgentsConfig, rules: HandoffRules) -> None:
    assert who(personas, rules, "Як оформити партію сиру на складі?", front="helion") == "helion"
    assert who(personas, rules, "Скільки кВт дає сонячна панель?", front="greenfood") == "greenfood"


def test_the_marker_names_the_persona(personas: AgentsConfig, rules: HandoffRules) -> None:
    decision = rules.decide(personas.agents["daarwizz"], "Що таке EcoMiner?")
    assert decision is not None and decision.marker == "→ ⚡ Helion"


def test_threshold_needs_more_hits() -> None:
    data = yaml.safe_load(REAL.read_text(encoding="utf-8"))
    data["agents"]["daarwizz"]["handoff_threshold"] = 2
    config = AgentsConfig.model_validate(data)
    strict, front = HandoffRules(config), config.agents["daarwizz"]
    assert strict.decide(front, "Що таке EcoMiner?") is None
    assert strict.decide(front, "Скільки енергії дає EcoMiner?").persona.key == "helion"


class _Sink:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    async def start(self) -> None: ...
    async def update(self, text: str) -> None: self.seen.append(("update", text))
    async def finish(self, text: str) -> None: self.seen.append(("finish", text))
    async def notify(self, text: str) -> None: self.seen.append(("notify", text))
    async def close(self) -> None: ...


async def test_marked_sink_shows_the_marker_on_the_answer_only() -> None:
    inner = _Sink()
    sink = MarkedSink(inner, "→ ⚡ Helion")
    await sink.update("Еко")
    await sink.finish("EcoMiner — це")
    await sink.notify("Модель недоступна")
    assert inner.seen == [("update", "→ ⚡ Helion\n\nЕко"), ("finish", "→ ⚡ Helion\n\nEcoMiner — це"),
                          ("notify", "Модель недоступна")]


@pytest.mark.parametrize("pinned,handoff,expected", [(False, True, "helion"), (True, True, "daarwizz"),
                                                     (False, False, "daarwizz")])
def test_named_persona_or_switched_off_chat_keeps_the_persona(personas: AgentsConfig, rules: HandoffRules,
                                                              pinned: bool, handoff: bool, expected: str) -> None:
    inbound = Inbound(Scope("main", 1), 1, "Що таке EcoMiner?", "daarwizz", 1, pinned=pinned)
    sink = _Sink()
    persona, out = hand_off(rules, personas.agents["daarwizz"], inbound, ChatState(None, 1, handoff=handoff), sink)
    assert persona.key == expected
    assert (out is sink) == (expected == "daarwizz")


def test_recovered_messages_allow_hand_off() -> None:
    assert Inbound(Scope("main", 1), 1, "x", "daarwizz", 1).pinned is False


# --- config mistakes -----------------------------------------------------------------------------

def _error(tmp_path: Path, edit) -> str:
    data: dict[str, Any] = copy.deepcopy(yaml.safe_load(REAL.read_text(encoding="utf-8")))
    edit(data["agents"])
    path = tmp_path / "agents.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_personas(path)
    assert str(info.value).startswith(f"{path}: ")
    return str(info.value)


def test_unknown_persona_in_hands_off_to(tmp_path: Path) -> None:
    msg = _error(tmp_path, lambda a: a["daarwizz"].update(hands_off_to=["helion", "solaris"]))
    assert "agents.daarwizz.hands_off_to" in msg and "'solaris' is not a persona id" in msg and "greenfood" in msg


def test_handing_off_to_itself(tmp_path: Path) -> None:
    msg = _error(tmp_path, lambda a: a["daarwizz"].update(hands_off_to=["daarwizz", "helion"]))
    assert "agents.daarwizz.hands_off_to" in msg and "itself" in msg


def test_hand_off_target_without_topics(tmp_path: Path) -> None:
    msg = _error(tmp_path, lambda a: a["helion"].pop("topics"))
    assert "agents.daarwizz.hands_off_to" in msg and "'helion' has no `topics:`" in msg


def test_bad_topic_and_threshold(tmp_path: Path) -> None:
    assert "agents.helion.topics" in _error(tmp_path, lambda a: a["helion"].update(topics=["енерг", "x$"]))
    assert "agents.daarwizz.handoff_threshold" in _error(tmp_path, lambda a: a["daarwizz"].update(handoff_threshold=0))
