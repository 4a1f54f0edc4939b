"""Voice, measured offline: local speech-to-text quality and speed, local text-to-speech speed, and what the bot itself
adds to a voice message once the models' time is taken out.

1. STT: every local Whisper model (base, tiny.en) on 24 English sentences spoken by espeak-ng and sent as OGG/Opus
   voice notes; base also on 12 Ukrainian ones (tiny.en is English only). Word error rate (jiwer, after
   bench/voice_text.normalise), real-time factor (processing time / audio time), load time and memory. Each model
   runs in a fresh process, so its memory is its own.
2. TTS: Piper (English, the packaged joe voice) and espeak-ng (uk, en): the first call (loads the voice) apart, then
   seconds of work per second of speech.
3. The bot: `python -m bot run` on the fake Bot API, STT and TTS routed to the fake's OpenAI audio endpoints at zero
   delay, /voice on. Voice notes one at a time (stages, bot CPU), then a burst from several users.

Run: .venv/bin/python bench/voice.py [--parts stt,tts,bot] [--models base,tiny.en] [--notes 40]
(prints numbers; asserts nothing; about 1.5 minutes on 2 cores; base is assembled into --data-dir on the first run)
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.closed_loop import pct
from bench.voice_bot import STAGES, BotRun, Trace, run_bot
from bench.voice_models import Clips, ModelRun, TtsRun, clips, run_stt, run_tts
from bench.voice_text import ENGLISH, TTS_EN, TTS_UK, UKRAINIAN, normalise, score, wer
from router.types import Audio

ENGLISH_ONLY = (".en",)  # model names ending so cannot hear Ukrainian


def args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--parts", default="stt,tts,bot", help="which parts to run (default: %(default)s)")
    p.add_argument("--models", default="base,tiny.en", help="Whisper models: base, tiny.en or a CTranslate2 directory")
    p.add_argument("--data-dir", type=Path, default=Path(os.environ.get("DATA_DIR", ROOT / "data")),
                   help="where base is assembled (models/whisper-base; default: %(default)s)")
    p.add_argument("--threads", type=int, default=2, help="CTranslate2 threads per transcription (default: 2)")
    p.add_argument("--notes", type=int, default=40, help="voice notes sent to the bot, each pass (default: 40)")
    p.add_argument("--users", type=int, default=20, help="users sending the burst (default: 20)")
    p.add_argument("--show", type=int, default=3, help="worst transcripts shown per model and set (default: 3)")
    return p.parse_args()


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def stt(models: list[str], data_dir: Path, threads: int, show: int) -> list[ModelRun]:
    t = time.perf_counter()
    sets: Clips = {"en": clips(ENGLISH, "en-us"), "uk": clips(UKRAINIAN, "uk")}
    audio = {name: sum(a.seconds for _, a in items) for name, items in sets.items()}
    print(f"STT: {len(sets['en'])} English sentences ({audio['en']:.0f} s of audio) and {len(sets['uk'])} Ukrainian "
          f"({audio['uk']:.0f} s), espeak-ng → OGG/Opus in {time.perf_counter() - t:.1f} s; {os.cpu_count()} CPUs, "
          f"{threads} threads, beam 5")
    print("  WER after normalise() on both sides: lower case, punctuation dropped (dashes → spaces), '%' → 'percent', "
          "English number words → digits")
    runs = []
    for model in models:
        wanted = {k: v for k, v in sets.items() if k == "en" or not model.endswith(ENGLISH_ONLY)}
        run = run_stt(model, data_dir, threads, wanted)
        runs.append(run)
        print(f"\n  {model}: load {run.load:.2f} s (first call − the same clip warm; finding/verifying the files "
              f"{run.locate:.2f} s before), RSS {run.rss_libs_mb:.0f} MB with the libraries, "
              f"+{run.rss_load_mb:.0f} MB loaded, +{run.rss_end_mb:.0f} MB after all clips")
        print(f"    {'set':<4}{'clips':>6}{'WER':>8}{'RTF p50':>9}{'RTF total':>10}{'uncertain':>10}{'empty':>6}")
        for name, heard in run.heard.items():
            s = score(heard)
            print(f"    {name:<4}{s.clips:>6}{s.wer:>8.3f}{s.rtf_p50:>9.3f}{s.rtf_total:>10.3f}{s.uncertain:>10}"
                  f"{s.empty:>6}")
        for name, heard in run.heard.items():
            languages = Counter(h.language or "-" for h in heard)
            print(f"    {name}: languages detected {dict(languages.most_common())}; worst:")
            for h in sorted(heard, key=lambda h: -wer([h.reference], [h.text]))[:show]:
                print(f"      {wer([h.reference], [h.text]):.2f}  {normalise(h.reference)!r}\n"
                      f"            → {normalise(h.text)!r}{' (uncertain)' if h.uncertain else ''}")
    return runs


async def tts() -> list[TtsRun]:
    runs = [await run_tts("piper", "en", TTS_EN), await run_tts("espeak", "en", TTS_EN),
            await run_tts("espeak", "uk", TTS_UK)]
    print(f"\nTTS: {len(TTS_EN)} sentences each, one at a time; the first call (voice load) apart; "
          "time includes the OGG/Opus encode; espeak-ng runs as its own process per call (no RSS here)")
    print(f"  {'engine':<8}{'lang':<5}{'first call':>11}{'(speech)':>9}{'s per s of speech':>19}{'p50 call':>10}"
          f"{'RSS +':>8}")
    for r in runs:
        print(f"  {r.engine:<8}{r.language:<5}{r.first:>10.2f}s{r.first_speech:>8.1f}s{r.per_second:>19.3f}"
              f"{r.p50_call:>9.2f}s{r.rss_mb:>6.0f}MB")
    return runs


def probe_ms(notes: list[Audio]) -> float:
    """voice/probe.py's probe() on each note, in this process: its p50 (it runs in the bot's thread pool)."""
    from voice.probe import probe

    times = []
    for _ in range(3):
        for note in notes:
            t = time.perf_counter()
            probe(note.data, max_seconds=300, max_bytes=len(note.data))
            times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


async def bot(n: int, users: int) -> tuple[BotRun, float]:
    notes = [a for _, a in clips(ENGLISH[:8], "en-us")]
    run = await run_bot(notes, n=n, users=users)
    probed = probe_ms(notes)
    seq = run.sequential
    print(f"\nbot: start → first getUpdates {run.startup:.2f} s; speech via the fake's OpenAI audio API at 0 delay, "
          f"/voice on; notes of {statistics.mean(a.seconds for a in notes):.1f} s, "
          f"{statistics.mean(len(a.data) for a in notes) / 1024:.0f} KB")
    print(f"  {n} voice notes one at a time (a fresh known chat each, nothing queued), bot-side stages:")
    print(f"    {'stage':<48}{'p50':>9}{'p95':>9}")
    for i, stage in enumerate(STAGES):
        values = [t.stages[i] * 1000 for t in seq]
        print(f"    {stage:<48}{pct(values, 50):>7.1f}ms{pct(values, 95):>7.1f}ms")
    own = [(t.voice - t.model) * 1000 for t in seq]
    print(f"    {'sum: the bot’s own time per voice message':<48}{pct(own, 50):>7.1f}ms{pct(own, 95):>7.1f}ms")
    fakes = [t.model * 1000 for t in seq]
    print(f"    the fakes' time (STT decode, chat, TTS tone + encode), excluded above: p50 {pct(fakes, 50):.1f} ms")
    print(f"    probe() alone, in this process: p50 {probed:.2f} ms (part of 'file → STT request')")
    for label, key in (("transcript visible", "transcript"), ("final text", "text"), ("sendVoice received", "voice")):
        values = [getattr(t, key) * 1000 for t in seq]
        print(f"    wall, update pushed → {label:<20} p50 {pct(values, 50):6.1f} ms, p95 {pct(values, 95):6.1f} ms")
    print("    (at 0 ms per token the answer is ready before the first preview: the transcript shows with the answer)")
    print(f"    bot CPU per voice message {run.cpu_voice * 1000:.1f} ms (a typed message, voice off: "
          f"{run.cpu_text * 1000:.1f} ms); bot RSS {run.rss_mb:.0f} MB")
    burst(run.burst, run, n, users)
    return run, probed


def burst(traces: list[Trace], run: BotRun, n: int, users: int) -> None:
    text, voice = [t.text * 1000 for t in traces], [t.voice * 1000 for t in traces]
    print(f"  burst: {n} voice notes at once from {users} users: all answered by voice in {run.burst_wall:.2f} s "
          f"({n / run.burst_wall:.0f} notes/s); bot CPU per note {run.cpu_burst * 1000:.1f} ms")
    print(f"    pushed → final text p50 {pct(text, 50):.0f} ms, p95 {pct(text, 95):.0f} ms; → sendVoice p50 "
          f"{pct(voice, 50):.0f} ms, p95 {pct(voice, 95):.0f} ms (queueing behind the same user's notes and "
          "per-chat pacing included)")


def summary(stt_runs: list[ModelRun], tts_runs: list[TtsRun], bot_run: tuple[BotRun, float] | None) -> None:
    print("\nSummary (for the README):\n")
    if stt_runs:
        print("| STT model | English WER | RTF p50 / total | load | RSS + loaded / after all | "
              "Ukrainian WER (uncertain/clips, empty) |")
        print("|---|---|---|---|---|---|")
        for r in stt_runs:
            en = score(r.heard["en"])
            uk = score(r.heard["uk"]) if "uk" in r.heard else None
            uk_cell = f"{uk.wer:.2f} ({uk.uncertain}/{uk.clips}, {uk.empty})" if uk else "— (English only)"
            print(f"| {r.model} | {en.wer:.3f} | {en.rtf_p50:.2f} / {en.rtf_total:.2f} | {r.load:.1f} s | "
                  f"{r.rss_load_mb:.0f} / {r.rss_end_mb:.0f} MB | {uk_cell} |")
        print()
    if tts_runs:
        print("| TTS | first call | s per s of speech |\n|---|---|---|")
        for t in tts_runs:
            print(f"| {t.engine} {t.language} | {t.first:.2f} s | {t.per_second:.3f} |")
        print()
    if bot_run:
        run, probed = bot_run
        seq = run.sequential
        own = [(t.voice - t.model) * 1000 for t in seq]
        print("| bot, per voice note (fake models at 0 delay) | p50 | p95 |\n|---|---|---|")
        for label, values in (("bot's own time, update → sendVoice (fakes excluded)", own),
                              ("download (getFile received → file served)", [t.stages[1] * 1000 for t in seq]),
                              ("sendVoice upload (TTS answer → received)", [t.stages[6] * 1000 for t in seq]),
                              ("wall, update → sendVoice, burst", [t.voice * 1000 for t in run.burst])):
            print(f"| {label} | {pct(values, 50):.1f} ms | {pct(values, 95):.1f} ms |")
        print(f"| probe() | {probed:.1f} ms | |\n| bot CPU per voice note (typed: {run.cpu_text * 1000:.1f} ms) | "
              f"{run.cpu_voice * 1000:.1f} ms | |")


def main() -> None:
    a = args()
    parts = set(a.parts.split(","))
    stt_runs = stt(a.models.split(","), a.data_dir, a.threads, a.show) if "stt" in parts else []
    tts_runs = asyncio.run(tts()) if "tts" in parts else []
    bot_run = asyncio.run(bot(a.notes, a.users)) if "bot" in parts else None
    summary(stt_runs, tts_runs, bot_run)


if __name__ == "__main__":
    main()
