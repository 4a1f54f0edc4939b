"""bench/voice.py's bot side: the real bot (its own process) on the fake Bot API, speech through the fake's OpenAI audio
endpoints at zero delay; what the bot itself adds to a voice message, stage by stage, with the fakes' time taken out."""
from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from aiohttp import web

from bench.closed_loop import VISIBLE, until_polled
from bench.startup import TOKEN, bot_env
from bot.testing import Call, FakeTelegram
from router.testing import FakeLLM
from router.types import Audio

ROUTER = """
providers:
  # Slots enough for every user at once: these benches measure the bot's own cost, not a model's capacity
  # (bench/load.py measures that); a local Ollama would otherwise get the default 2.
  ollama: {kind: ollama, base_url: "${OLLAMA_URL}", local: true, max_concurrency: 256,
           timeouts: {connect: 5, first_token: 60, total: 300}}
  speech: {kind: openai, base_url: "${SPEECH_URL}", api_key_env: SPEECH_KEY,
           models: {whisper-1: {capabilities: [transcription]}, tts-1: {capabilities: [speech]}}}
rules:
  - when: {mode: stt}
    use: [speech:whisper-1]
  - when: {mode: tts}
    use: [speech:tts-1]
  - use: [ollama:qwen3:8b]
"""
HEARD = "🎙"  # the transcript's quote (voice_heard in i18n/locales/*/speech.ftl)
# Stages of one voice message in the order they happen; the fakes' own time (model) lies between some of them.
STAGES = ("update → getFile", "getFile → file served (download)", "file → STT request (probe, quota, upload)",
          "STT answer → chat request", "chat answer → final text", "final text → TTS request",
          "TTS answer → sendVoice received (upload)")


class TimedTelegram(FakeTelegram):
    """The fake Bot API that also notes when each file download was served whole (file path → time)."""

    def __init__(self) -> None:
        super().__init__()
        self.served: dict[str, float] = {}

    async def _download(self, request: web.Request) -> web.Response:
        response = await super()._download(request)
        await response.prepare(request)
        await response.write_eof()  # the body is written: on loopback the bot has it as good as at once
        self.served.setdefault(request.match_info["path"], time.monotonic())
        return response


@dataclass
class Trace:
    """One voice message's timestamps (monotonic, this process's clock: the fakes live here)."""

    pushed: float
    stages: list[float] = field(default_factory=list)  # one per STAGES, seconds
    model: float = 0.0  # the fakes' STT + chat + TTS time (excluded from the bot's own)
    transcript: float = 0.0  # push → "🎙 …" visible
    text: float = 0.0  # push → final text answer
    voice: float = 0.0  # push → sendVoice received


@dataclass(frozen=True, slots=True)
class BotRun:
    """What the bot-side pass measured."""

    startup: float
    sequential: list[Trace]
    burst: list[Trace]
    burst_wall: float
    cpu_voice: float  # bot CPU seconds per voice message (one at a time)
    cpu_text: float  # the same for a typed message with /voice off, for comparison
    cpu_burst: float
    rss_mb: float


async def run_bot(notes: list[Audio], *, n: int, users: int) -> BotRun:
    """Start the bot on the fakes; `n` voice notes one at a time, then `n` at once from `users` users."""
    with tempfile.TemporaryDirectory() as tmp:
        async with TimedTelegram() as tg, FakeLLM() as llm:
            tg.add_bot(TOKEN, "bench_bot")
            env = bot_env(Path(tmp), tg, llm)
            (Path(tmp) / "router.yaml").write_text(ROUTER)
            # Offline: no automatic web search (a question about "this week" would try one).
            env.update(SPEECH_URL=llm.openai_url, SPEECH_KEY="sk-bench-0123456789abcdef", SEARCH_AUTO="false")
            llm.default_transcript = "How much biomass did the boiler burn this week?"
            spawned = time.monotonic()
            proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=tmp, env=env)
            try:
                startup = await until_polled(tg, proc, spawned)
                ps = psutil.Process(proc.pid)
                await _text(tg, range(60_000, 60_000 + 5))  # warm-up: the first answers load lazy modules
                await _voice_on(tg, range(70_000, 70_000 + 5))
                await asyncio.gather(*(_one(tg, llm, 70_000 + i, notes[i]) for i in range(5)))
                cpu0 = _cpu_now(ps)
                await _text(tg, range(61_000, 61_000 + n))
                cpu_text = (_cpu_now(ps) - cpu0) / n
                chats = range(71_000, 71_000 + n)
                await _voice_on(tg, chats)
                cpu0 = _cpu_now(ps)
                sequential = [await _one(tg, llm, chat, notes[i % len(notes)]) for i, chat in enumerate(chats)]
                cpu_voice = (_cpu_now(ps) - cpu0) / n
                senders = range(72_000, 72_000 + users)
                await _voice_on(tg, senders)
                cpu0, t0 = _cpu_now(ps), time.monotonic()
                burst = await _burst(tg, notes, n, senders)
                wall, cpu_burst = time.monotonic() - t0, (_cpu_now(ps) - cpu0) / n
                return BotRun(startup, sequential, burst, wall, cpu_voice, cpu_text, cpu_burst,
                              ps.memory_info().rss / 2**20)
            finally:
                proc.terminate()
                proc.wait(timeout=30)


def _cpu_now(ps: psutil.Process) -> float:
    return sum(ps.cpu_times()[:2])


async def _text(tg: FakeTelegram, chats: range) -> None:
    """One typed message in each chat, one at a time (voice off): the baseline of a turn."""
    for chat in chats:
        tg.send_text(TOKEN, chat_id=chat, user_id=chat, text=f"hello {chat}")
        await tg.wait_for(lambda chat=chat: len(tg.sent_texts(chat)) >= 1, timeout=30)


async def _voice_on(tg: FakeTelegram, chats: range) -> None:
    for chat in chats:
        tg.send_text(TOKEN, chat_id=chat, user_id=chat, text="/voice on")
        await tg.wait_for(lambda chat=chat: len(tg.sent_texts(chat)) >= 1, timeout=30)


async def _one(tg: TimedTelegram, llm: FakeLLM, chat: int, note: Audio) -> Trace:
    """One voice note in `chat`, answered with text and voice, traced (nothing else is running)."""
    voices, calls, requests = len(tg.voices(chat)), len(tg.calls), len(llm.requests)
    pushed = time.monotonic()
    tg.send_voice(TOKEN, chat_id=chat, user_id=chat, audio=note.data, duration=max(1, round(note.seconds)))
    await tg.wait_for(lambda: len(tg.voices(chat)) > voices, timeout=60)
    return trace(tg, llm, chat, pushed, calls, requests)


async def _burst(tg: TimedTelegram, notes: list[Audio], n: int, senders: range) -> list[Trace]:
    """`n` voice notes pushed at once, round robin over `senders`; each traced from its push to its sendVoice."""
    calls = len(tg.calls)
    pushed: dict[int, list[float]] = {chat: [] for chat in senders}
    for i in range(n):
        chat, note = senders[i % len(senders)], notes[i % len(notes)]
        pushed[chat].append(time.monotonic())
        tg.send_voice(TOKEN, chat_id=chat, user_id=chat, audio=note.data, duration=max(1, round(note.seconds)))
    await tg.wait_for(lambda: all(len(tg.voices(c)) >= len(p) for c, p in pushed.items()), timeout=300)
    traces = []
    for chat, times in pushed.items():  # answers in a chat come in order: the k-th voice answers the k-th note
        sent = [c.at for c in tg.calls[calls:] if c.method.lower() == "sendvoice" and c.ok and _in(c, chat)]
        finals = [c.at for c in tg.calls[calls:] if c.method.lower() == "sendmessage" and c.ok and _in(c, chat)
                  and "echo:" in str(c.params.get("text", ""))]
        traces += [Trace(at, text=finals[k] - at, voice=sent[k] - at) for k, at in enumerate(times)]
    return traces


def _in(call: Call, chat: int) -> bool:
    return call.params.get("chat_id") in (chat, str(chat))


def trace(tg: TimedTelegram, llm: FakeLLM, chat: int, pushed: float, calls: int, requests: int) -> Trace:
    """The stages of the one voice message sent to `chat` after `calls` Bot API calls and `requests` fake requests."""
    mine = [c for c in tg.calls[calls:] if _in(c, chat) or str(c.params.get("file_id", "")).startswith(f"voice{chat}_")]
    get_file = next(c.at for c in mine if c.method.lower() == "getfile")
    download = next(at for path, at in tg.served.items() if f"/voice{chat}_" in f"/{path}" and at >= get_file)
    reqs = llm.requests[requests:]
    stt = next(r for r in reqs if r.path.endswith("/audio/transcriptions"))
    chat_req = next(r for r in reqs if r.path in ("/api/chat", "/v1/chat/completions"))
    tts = next(r for r in reqs if r.path.endswith("/audio/speech"))
    shown = next(c.at for c in mine if c.method.lower() in VISIBLE and HEARD in str(c.params.get("text", "")))
    final = next(c.at for c in mine if c.method.lower() == "sendmessage" and c.ok
                 and "echo:" in str(c.params.get("text", "")))
    sent = next(c.at for c in mine if c.method.lower() == "sendvoice" and c.ok)
    done = [r.done_at or r.at for r in (stt, chat_req, tts)]
    stages = [get_file - pushed, download - get_file, stt.at - download, chat_req.at - done[0], final - done[1],
              tts.at - final, sent - done[2]]
    model = sum(d - r.at for d, r in zip(done, (stt, chat_req, tts), strict=True))
    return Trace(pushed, stages, model, shown - pushed, final - pushed, sent - pushed)
