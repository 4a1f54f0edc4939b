"""The newcomer's first minute: 10 first questions (uk and en) through the console on the embedded Gemma 3 270M.

Counts answers that repeat the system prompt back (target 0) and times each answer. An answer "echoes" when
it contains "English summary" or any run of ECHO_WORDS consecutive words of a prompt the model was sent
(the full persona prompt and the short one for tiny models, both languages).
Ollama is pointed at a closed port, as on a machine without it. The model file is assembled into ./data
(the README's DATA_DIR) once; the database is temporary.

Run: .venv/bin/python bench/first_minute.py   (prints numbers; asserts nothing; a few minutes on 2 cores)
"""
from __future__ import annotations

import asyncio
import io
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agents.agent import AgentInput
from agents.persona import AgentsConfig
from bot.console import run_console
from bot.services import Services, build_services
from bot.settings import load_settings
from router.embedded_model import default_model_path

ECHO_WORDS = 8
QUESTIONS = (
    "Привіт! Хто ти і чим можеш допомогти?",
    "Що таке microDAO?",
    "Як подати пропозицію на голосування?",
    "Добрий день, я новенький. З чого почати?",
    "Що таке EcoMiner?",  # handed off to Helion: another persona's prompt
    "Hi! Who are you and what can you help me with?",
    "What is a microDAO?",
    "How do roles and permissions work here?",
    "hello",
    "Can you help me write my first proposal?",
)
_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """Lowercase words, punctuation and markup dropped."""
    return _WORD.findall(text.casefold())


def runs(text: str, n: int = ECHO_WORDS) -> set[tuple[str, ...]]:
    """Every run of n consecutive words."""
    w = words(text)
    return {tuple(w[i:i + n]) for i in range(len(w) - n + 1)}


def prompt_runs(services: Services) -> set[tuple[str, ...]]:
    """Word runs of every system text a persona's request may carry, full and short, uk and en."""
    agent, found = services.conversations.agent, set()
    for persona in services.personas.agents.values():
        for lang in ("uk", "en"):
            request = agent.build_request(persona, AgentInput(text="?", language=lang))
            texts = [m.content for m in request.messages if m.role == "system"]
            texts.append(request.tiny_system)
            for text in texts:
                found |= runs(text)
    return found


def echoes(answer: str, prompts: set[tuple[str, ...]]) -> str:
    """Why the answer counts as an echo of its instructions, or ""."""
    if "english summary" in answer.casefold():
        return "English summary"
    hit = next((r for r in sorted(runs(answer)) if r in prompts), None)
    return " ".join(hit) if hit else ""


def answer_of(output: str, personas: AgentsConfig) -> str:
    """The answer text: the console's lines minus the /reset confirmation, its speaker label removed."""
    lines = output.rstrip("\n").split("\n")[:-1]
    text = "\n".join(lines)
    for persona in personas.agents.values():
        text = text.replace(f"{persona.name}: ", "", 1) if text.startswith(persona.name) else text
    return text.strip()


async def main() -> None:
    model_dir = ROOT / "data"
    model = default_model_path(model_dir)  # assembled from the package on the first run
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        (data_dir / "models").mkdir()
        (data_dir / "models" / model.name).symlink_to(model)
        settings = load_settings(_env_file=None, database_url=f"sqlite:///{tmp}/bench.db", data_dir=data_dir,
                                 ollama_url="http://127.0.0.1:9", agents_file=ROOT / "config" / "agents.yaml",
                                 router_file=ROOT / "config" / "router.yaml", bot_token=None)
        services = await build_services(settings)
        try:
            prompts = prompt_runs(services)
            intro = io.StringIO()
            rows = []
            for question in QUESTIONS:
                out = io.StringIO()
                started = time.perf_counter()
                await run_console(services, None, stdin=io.StringIO(f"{question}\n/reset\n"), stdout=out,
                                  notice=intro, language="en")
                seconds = time.perf_counter() - started
                answer = answer_of(out.getvalue(), services.personas)
                rows.append((question, answer, seconds, echoes(answer, prompts)))
        finally:
            await services.aclose()
    print(f"start line: {intro.getvalue().splitlines()[0] if intro.getvalue() else '(none)'}")
    for i, (question, answer, seconds, why) in enumerate(rows, 1):
        verdict = f"ECHO ({why})" if why else "ok"
        short = " ".join(answer.split())
        print(f"{i:2}. {seconds:5.1f} s  {verdict}\n    Q: {question}\n    A: {short[:300]}"
              f"{'…' if len(short) > 300 else ''}")
    times = sorted(s for _, _, s, _ in rows)
    echoed = sum(1 for *_, why in rows if why)
    print(f"\nanswers that repeat the system prompt: {echoed}/{len(rows)} (target 0)")
    print(f"seconds per answer: first {rows[0][2]:.1f} (loads the model), median {times[len(times) // 2]:.1f}, "
          f"max {times[-1]:.1f}")


if __name__ == "__main__":
    asyncio.run(main())
