"""Hand-off classifier: µs per decision and accuracy on labelled questions (bench/data/handoff_eval.yaml).

Run: .venv/bin/python bench/handoff.py   (prints numbers; asserts nothing; takes about a second)
"""
from __future__ import annotations

import gc
import sys
import time
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agents.handoff import HandoffRules
from agents.persona import load_personas

ROUNDS = 500  # every question this many times
FRONT = "daarwizz"


def answerer(rules: HandoffRules, front, text: str) -> str:
    decision = rules.decide(front, text)
    return decision.persona.key if decision else FRONT


def timings(rules: HandoffRules, front, texts: list[str]) -> list[float]:
    """µs per decide() call, each call timed on its own."""
    out: list[float] = []
    clock = time.perf_counter_ns
    gc.disable()  # a collection inside one timed call would be measured as the classifier's cost
    try:
        for _ in range(ROUNDS):
            for text in texts:
                start = clock()
                rules.decide(front, text)
                out.append((clock() - start) / 1000)
    finally:
        gc.enable()
    return sorted(out)


def one_call(rules: HandoffRules, front, text: str) -> float:
    """µs of a single decide() call."""
    start = time.perf_counter_ns()
    rules.decide(front, text)
    return (time.perf_counter_ns() - start) / 1000


def accuracy(rules: HandoffRules, front, items: list[dict]) -> tuple[str, list[str]]:
    """"hits/total (pct)" per slice and the misses, one line each."""
    misses = [f"  {i['expect']:>9} → {answerer(rules, front, i['text']):<9} {i['text']}"
              for i in items if answerer(rules, front, i["text"]) != i["expect"]]
    ok = len(items) - len(misses)
    return f"{ok}/{len(items)} ({100 * ok / max(1, len(items)):.0f} %)", misses


def main() -> None:
    personas = load_personas(ROOT / "config" / "agents.yaml")
    rules, front = HandoffRules(personas), personas.agents[FRONT]
    data = yaml.safe_load((ROOT / "bench" / "data" / "handoff_eval.yaml").read_text(encoding="utf-8"))
    questions, held_out = data["questions"], data.get("held_out", [])
    texts = [q["text"] for q in questions]
    rules.decide(front, texts[0])  # warm-up: regex caches, lazy attributes

    us = timings(rules, front, texts)
    long_text = " ".join(texts) * 3  # ~8000 characters, the longest message the bot accepts
    long_us = min(one_call(rules, front, long_text) for _ in range(50))
    print(f"hand-off decisions: {len(texts)} questions × {ROUNDS} = {len(us)} calls, front door {front.key}")
    print("| measure | value |\n|---|---|")
    p50, p95 = us[len(us) // 2], us[int(len(us) * 0.95)]
    print(f"| µs per decision, p50 / p95 / max | {p50:.1f} / {p95:.1f} / {us[-1]:.0f} |")
    print(f"| µs for one {len(long_text)}-character message (best of 50) | {long_us:.0f} |")
    rows = {"all labelled": questions, "uk": [q for q in questions if q["lang"] == "uk"],
            "en": [q for q in questions if q["lang"] == "en"],
            "clear (not hard)": [q for q in questions if not q.get("hard")],
            "hard (mixed or no topic words)": [q for q in questions if q.get("hard")],
            "held out (never used to tune topics)": held_out}
    misses: list[str] = []
    for name, items in rows.items():
        if items:
            score, wrong = accuracy(rules, front, items)
            print(f"| accuracy, {name} | {score} |")
            misses += wrong if name in ("all labelled", "held out (never used to tune topics)") else []
    counts = Counter(answerer(rules, front, q["text"]) for q in questions)
    print(f"| answered by (labelled set) | {', '.join(f'{k} {v}' for k, v in sorted(counts.items()))} |")
    print("\nmisses (expected → got):")
    print("\n".join(misses) or "  none")


if __name__ == "__main__":
    main()
