"""Automatic web-search decision: precision, recall and µs per decision on bench/data/search_decision.yaml.

Run: .venv/bin/python bench/search_decision.py   (prints numbers; asserts nothing; takes about a second)
"""
from __future__ import annotations

import gc
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agents.search.decide import needs_web

ROUNDS = 500  # every question this many times
YEAR = 2026  # the labels' "recent year" is judged as of this year, so the numbers do not drift with the clock


def timings(texts: list[tuple[str, str]]) -> list[float]:
    """µs per needs_web() call, each call timed on its own."""
    out: list[float] = []
    clock = time.perf_counter_ns
    gc.disable()  # a collection inside one timed call would be measured as the heuristic's cost
    try:
        for _ in range(ROUNDS):
            for text, lang in texts:
                start = clock()
                needs_web(text, lang, this_year=YEAR)
                out.append((clock() - start) / 1000)
    finally:
        gc.enable()
    return sorted(out)


def scores(items: list[dict]) -> tuple[str, str, str, list[str]]:
    """Precision, recall, accuracy as "hits/total (pct)" texts, and the misses."""
    said = [(bool(i["web"]), needs_web(i["text"], i["lang"], this_year=YEAR), i) for i in items]
    tp = sum(1 for want, got, _ in said if want and got)
    fp = sum(1 for want, got, _ in said if got and not want)
    fn = sum(1 for want, got, _ in said if want and not got)
    ok = sum(1 for want, got, _ in said if want == got)

    def pct(a: int, b: int) -> str:
        return f"{a}/{b} ({100 * a / b:.0f} %)" if b else "—"
    misses = [f"  {'web' if want else 'no web':>6} → {'web' if got else 'no web':<6} {i['text']}"
              for want, got, i in said if want != got]
    return pct(tp, tp + fp), pct(tp, tp + fn), pct(ok, len(items)), misses


def main() -> None:
    data = yaml.safe_load((ROOT / "bench" / "data" / "search_decision.yaml").read_text(encoding="utf-8"))
    items = data["questions"]
    texts = [(i["text"], i["lang"]) for i in items]
    needs_web(*texts[0])  # warm-up
    us = timings(texts)
    long_text = " ".join(t for t, _ in texts) * 2  # ~8000 characters, the longest message the bot accepts
    start = time.perf_counter_ns()
    needs_web(long_text, "uk", this_year=YEAR)
    long_us = (time.perf_counter_ns() - start) / 1000
    web = sum(1 for i in items if i["web"])
    print(f"web-search decisions: {len(items)} questions ({web} need the web, {len(items) - web} do not) × {ROUNDS}")
    print("| measure | value |\n|---|---|")
    print(f"| µs per decision, p50 / p95 / max | {us[len(us) // 2]:.1f} / {us[int(len(us) * 0.95)]:.1f} / "
          f"{us[-1]:.0f} |")
    print(f"| µs for one {len(long_text)}-character message | {long_us:.0f} |")
    rows = {"all": items, "uk": [i for i in items if i["lang"] == "uk"], "en": [i for i in items if i["lang"] == "en"],
            "clear (not hard)": [i for i in items if not i.get("hard")],
            "hard": [i for i in items if i.get("hard")]}
    misses: list[str] = []
    for name, part in rows.items():
        precision, recall, accuracy, wrong = scores(part)
        print(f"| {name}: precision / recall / accuracy | {precision} / {recall} / {accuracy} |")
        misses += wrong if name == "all" else []
    print("\nmisses (expected → got):")
    print("\n".join(misses) or "  none")


if __name__ == "__main__":
    main()
