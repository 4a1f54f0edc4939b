"""The terminal chat: same agent → router → provider path, streaming, real embedded GGUF model."""
from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.console import run_console
from bot.services import build_services
from bot.settings import load_settings
from router.embedded_model import default_model_path
from router.testing import FakeLLM

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp: Path, router: str, data_dir: Path) -> dict[str, str]:
    (tmp / "router.yaml").write_text(router)
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "BOT_TOKEN"))}
    env.update(DATABASE_URL=f"sqlite+aiosqlite:///{tmp}/dagi.db", ROUTER_FILE=str(tmp / "router.yaml"),
               AGENTS_FILE=str(ROOT / "config" / "agents.yaml"), DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT))
    return env


def test_console_chats_with_the_real_embedded_model(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    router = """
providers:
  ollama: {kind: ollama, base_url: "http://127.0.0.1:9", local: true, timeouts: {connect: 1, first_token: 5, total: 10}}
  embedded: {kind: embedded, model_path: auto, max_tokens: 12}
routes:
  chat: [ollama:qwen3:8b, embedded:default]
"""
    pytest.importorskip("llama_cpp")
    model = default_model_path(request.config.cache.mkdir("embedded-model"))  # the 250 MB model is assembled once
    data_dir = tmp_path / "data"  # a fresh one, so console.log holds this run only
    (data_dir / "models").mkdir(parents=True)
    (data_dir / "models" / model.name).symlink_to(model)
    out = subprocess.run([sys.executable, "-m", "bot", "console", "--agent", "helion"], cwd=tmp_path,
                         env=_env(tmp_path, router, data_dir), input="Привіт! Що таке EcoMiner?\n",
                         capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.startswith("Helion: "), out.stdout
    assert len(out.stdout.removeprefix("Helion: ").strip()) > 0
    assert "Traceback" not in out.stderr
    # The first minute: one line names the model and the better one; no log line reaches the terminal.
    assert "gemma-3-270m-q4_k_m" in out.stderr and "ollama pull qwen3:8b" in out.stderr
    noise = [line for line in (out.stdout + out.stderr).splitlines() if "WARNING" in line or "llama_" in line]
    assert not noise, out.stderr
    log = (data_dir / "console.log").read_text()
    assert "ollama:qwen3:8b failed before its first token" in log and "llama_kv_cache_iswa" in log


async def test_console_streams_switches_agent_and_keeps_history(tmp_path: Path) -> None:
    router = """
providers:
  ollama: {kind: ollama, base_url: "${OLLAMA_URL}", local: true}
routes:
  chat: [ollama:qwen3:8b]
"""
    (tmp_path / "router.yaml").write_text(router)
    async with FakeLLM() as llm:
        llm.reply("Перша відповідь.", "Друга відповідь.", "Третя.")
        settings = load_settings(_env_file=None, database_url=f"sqlite:///{tmp_path}/c.db",
                                 router_file=tmp_path / "router.yaml", ollama_url=llm.url, data_dir=tmp_path)
        services = await build_services(settings)
        out = io.StringIO()
        await run_console(services, None, stdin=io.StringIO("Привіт\n/agent greenfood\nЯк оформити партію?\n"),
                          stdout=out)
        await services.aclose()
        # A restart (new services, same database) keeps the conversation.
        services = await build_services(settings)
        await run_console(services, None, stdin=io.StringIO("А ще?\n"), stdout=out)
        await services.aclose()
    text = out.getvalue()
    assert "DAARWIZZ: Перша відповідь." in text
    assert "GREENFOOD: Друга відповідь." in text
    assert "GREENFOOD: Третя." in text
    last = llm.chat_requests()[-1].json["messages"]
    assert "GREENFOOD" in last[0]["content"]
    assert [m["content"] for m in last[1:]] == ["Привіт", "Перша відповідь.", "Як оформити партію?",
                                                 "Друга відповідь.", "А ще?"]


async def test_console_reads_a_photo_file_and_saves_ocr_results(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import Image as PILImage

    router = """
providers:
  ollama: {kind: ollama, base_url: "${OLLAMA_URL}", local: true}
rules:
  - {when: {mode: [vision, ocr]}, use: [ollama:llava:7b]}
  - use: [ollama:qwen3:8b]
"""
    (tmp_path / "router.yaml").write_text(router)
    PILImage.new("RGB", (40, 30), "green").save(tmp_path / "panel.jpg")
    monkeypatch.chdir(tmp_path)  # OCR files are saved where the console runs
    receipt = (ROOT / "tests" / "data" / "receipt_answer.txt").read_text(encoding="utf-8")
    async with FakeLLM() as llm:
        settings = load_settings(_env_file=None, database_url=f"sqlite:///{tmp_path}/c.db",
                                 router_file=tmp_path / "router.yaml", ollama_url=llm.url, data_dir=tmp_path,
                                 agents_file=ROOT / "config" / "agents.yaml")
        services = await build_services(settings)
        out = io.StringIO()
        script = '/photo panel.jpg "What is this?"\n/photo missing.jpg\n/ocr panel.jpg\n'
        llm.reply("A green solar panel.", receipt)
        await run_console(services, "helion", stdin=io.StringIO(script), stdout=out)
        await services.aclose()
    text = out.getvalue()
    assert "Helion: A green solar panel." in text
    assert "! I can't open that image file" in text  # the missing file, told plainly
    assert "Receipt" in text and "Сільпо" in text
    assert (tmp_path / "result.json").exists() and (tmp_path / "result.csv").exists()
    assert "  saved result.json" in text, "the console says where it saved the files, in the user's language"
    assert len(llm.chat_requests()) == 2


async def test_console_hears_a_voice_file_and_answers_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from router.testing.speech import spoken_ogg

    router = """
providers:
  ollama: {kind: ollama, base_url: "${OLLAMA_URL}", local: true}
  speech: {kind: openai, base_url: "${SPEECH_URL}", models: {whisper-1: {capabilities: [transcription]}}}
rules:
  - {when: {mode: stt}, use: [speech:whisper-1]}
  - use: [ollama:qwen3:8b]
"""
    (tmp_path / "router.yaml").write_text(router)
    (tmp_path / "note.ogg").write_bytes(spoken_ogg("When is the next meeting?").data)
    monkeypatch.chdir(tmp_path)
    async with FakeLLM() as llm:
        monkeypatch.setenv("SPEECH_URL", llm.openai_url)
        llm.transcripts("When is the next meeting?")
        settings = load_settings(_env_file=None, database_url=f"sqlite:///{tmp_path}/v.db",
                                 router_file=tmp_path / "router.yaml", ollama_url=llm.url, data_dir=tmp_path,
                                 agents_file=ROOT / "config" / "agents.yaml")
        services = await build_services(settings)
        out = io.StringIO()
        await run_console(services, "daarwizz", stdin=io.StringIO("/voice note.ogg\n/voice missing.ogg\n"),
                          stdout=out)
        await services.aclose()
    text = out.getvalue()
    assert "DAARWIZZ: > 🎙 When is the next meeting?" in text and "echo: When is the next meeting?" in text
    assert "! I can't open that audio file" in text  # the missing file, told plainly
    [heard] = llm.transcription_requests()
    assert heard.files["file"][1] == (tmp_path / "note.ogg").read_bytes()  # the file as it is on disk


async def _first_line(tmp_path: Path, router: str, ollama_url: str, language: str) -> str:
    (tmp_path / "router.yaml").write_text(router)
    settings = load_settings(_env_file=None, database_url=f"sqlite:///{tmp_path}/first.db", ollama_url=ollama_url,
                             router_file=tmp_path / "router.yaml", data_dir=tmp_path)
    services = await build_services(settings)
    notice, chat = io.StringIO(), io.StringIO()
    await run_console(services, None, stdin=io.StringIO(""), stdout=chat, notice=notice, language=language)
    await services.aclose()
    assert chat.getvalue() == ""  # the line is not part of the chat
    return notice.getvalue()


async def test_the_first_line_says_which_model_answers_and_how_to_get_a_better_one(tmp_path: Path) -> None:
    (tmp_path / "tiny.gguf").write_bytes(b"GGUF")  # pinged (the file exists), never loaded
    router = f"""
providers:
  ollama: {{kind: ollama, base_url: "${{OLLAMA_URL}}", local: true}}
  embedded: {{kind: embedded, model_path: {tmp_path / "tiny.gguf"}}}
routes:
  chat: [ollama:qwen3:8b, embedded:default]
"""
    async with FakeLLM() as llm:
        up = await _first_line(tmp_path, router, llm.url, "en_US.UTF-8")
    down = await _first_line(tmp_path, router, FakeLLM.refusing_url(), "uk_UA.UTF-8")
    alone = await _first_line(tmp_path, router.replace(", embedded:default", ""), FakeLLM.refusing_url(), "C")
    assert up == "Answering: ollama:qwen3:8b. /help lists the commands, /quit leaves.\n"
    assert down.startswith("Відповідає вбудована мала модель tiny: ") and "ollama pull qwen3:8b" in down
    assert down.count("\n") == 1
    assert alone.startswith("No model can answer right now.") and "ollama pull qwen3:8b" in alone


async def test_the_console_help_and_the_no_token_line_come_from_the_catalogs(tmp_path: Path) -> None:
    (tmp_path / "router.yaml").write_text("providers:\n  ollama: {kind: ollama, base_url: \"${OLLAMA_URL}\", "
                                          "local: true}\nroutes:\n  chat: [ollama:qwen3:8b]\n")
    settings = load_settings(_env_file=None, database_url=f"sqlite:///{tmp_path}/h.db", data_dir=tmp_path,
                             ollama_url=FakeLLM.refusing_url(), router_file=tmp_path / "router.yaml")
    services = await build_services(settings)
    out = io.StringIO()
    await run_console(services, None, stdin=io.StringIO("\n/help\n"), stdout=out, notice=io.StringIO())
    await services.aclose()
    uk, en = out.getvalue().splitlines()  # an empty line reads as Ukrainian, a bare command as English
    agents = "daarwizz, helion, greenfood"
    assert uk == ("/agent ІМ'Я, /reset, /memory, /photo ШЛЯХ [питання], /ocr ШЛЯХ, /voice ШЛЯХ, /search ПИТАННЯ, "
                  "/quit — " + agents)
    assert en == ("/agent NAME, /reset, /memory, /photo PATH [question], /ocr PATH, /voice PATH, /search QUESTION, "
                  "/quit — " + agents)
    env = _env(tmp_path, "providers:\n  ollama: {kind: ollama, base_url: \"http://127.0.0.1:9\"}\n"
                         "routes:\n  chat: [ollama:qwen3:8b]\n", tmp_path / "data")
    env.update(LANG="uk_UA.UTF-8", LC_ALL="", LC_MESSAGES="")
    started = subprocess.run([sys.executable, "-m", "bot"], cwd=tmp_path, env=env, input="", capture_output=True,
                             text=True, timeout=120)
    assert started.returncode == 0, started.stderr[-2000:]
    assert started.stderr.startswith("BOT_TOKEN не задано: розмова в терміналі."), started.stderr


async def test_console_memory_shows_the_conversations_summary_as_in_telegram(tmp_path: Path) -> None:
    from bot.console import CONSOLE
    from i18n import translator

    (tmp_path / "router.yaml").write_text("""
providers:
  ollama: {kind: ollama, base_url: "${OLLAMA_URL}", local: true}
routes:
  chat: [ollama:qwen3:8b]
""")
    en = translator("en")  # a console line without Cyrillic is answered in English
    async with FakeLLM() as llm:
        llm.reply("Домовились: партія 40 банок меду.")
        settings = load_settings(_env_file=None, database_url=f"sqlite:///{tmp_path}/c.db",
                                 router_file=tmp_path / "router.yaml", ollama_url=llm.url, data_dir=tmp_path)
        services = await build_services(settings)
        try:
            before = io.StringIO()
            await run_console(services, None, stdin=io.StringIO("Запиши: партія 40 банок меду\n/memory\n"),
                              stdout=before)
            memory = services.conversations.memory
            assert memory is not None
            conversation = (await services.store.chat_state(CONSOLE)).conversation
            said = await memory.summaries.unsummarised(CONSOLE, conversation, 0, 10)
            assert await memory.summaries.save(CONSOLE, conversation, text="- партія: 40 банок меду", expected=0,
                                               folded=said)
            after = io.StringIO()
            await run_console(services, None, stdin=io.StringIO("/memory\n"), stdout=after)
        finally:
            await services.aclose()
    assert en("memory_empty") in before.getvalue()
    assert en("memory_show", turns=2, summary="- партія: 40 банок меду") in after.getvalue()
