"""Broadcast pace: 1000 recipients through the real notifier against a rate-limited fake Bot API.

The fake runs on its own thread and event loop (as a remote server would), the broadcaster on the
main one, so the CPU figure is the bot side only: aiogram, the notifier, the engine, SQLite writes.
Run: .venv/bin/python bench/broadcast.py [--n 1000] [--limit 30]   (prints numbers; asserts nothing)
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from sqlalchemy import insert

from bot.delivery.notifier import TelegramNotifier
from bot.delivery.pacing import RetryAfterMiddleware
from bot.startup import share_generic_cache
from bot.testing import FakeTelegram
from ops.broadcast import Broadcaster
from storage.audience import AudienceStore
from storage.models import Chat, User
from storage.people import PeopleStore
from storage.store import open_store

TOKEN = "123456:BENCH-token-abcdefghijklmnop"


def serve_fake(limit: int, blocked: set[int]) -> tuple[FakeTelegram, asyncio.AbstractEventLoop]:
    """The fake Bot API on a thread of its own."""
    loop, ready = asyncio.new_event_loop(), threading.Event()
    fake = FakeTelegram()

    async def main() -> None:
        await fake.start()
        fake.add_bot(TOKEN, "bench_bot")
        fake.rate_limit(per_second=limit)
        for chat in blocked:
            fake.block(chat)
        ready.set()
    threading.Thread(target=loop.run_forever, daemon=True).start()
    asyncio.run_coroutine_threadsafe(main(), loop)
    ready.wait(10)
    return fake, loop


def most_in_one_second(times: list[float]) -> int:
    """The largest number of calls inside any window of one second."""
    times, best, j = sorted(times), 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - 1.0:
            j += 1
        best = max(best, i - j + 1)
    return best


async def run(n: int, rate: float, limit: int, db: Path) -> None:
    blocked = set(range(10_000, 10_000 + n, 50))  # 2 % blocked the bot
    fake, loop = serve_fake(limit, blocked)
    store = await open_store(f"sqlite:///{db}")
    ids = list(range(10_000, 10_000 + n))
    await store.db.run(lambda c: (c.execute(insert(User), [dict(id=i) for i in ids]), c.execute(insert(Chat), [
        dict(bot="main", chat_id=i, thread_id=0, chat_type="private", conversation=1) for i in ids])))
    session = AiohttpSession(api=TelegramAPIServer.from_base(fake.url))
    session.middleware(RetryAfterMiddleware())
    bot = Bot(TOKEN, session=session)
    audience = AudienceStore(store.db)
    recipients = await audience.recipients("users", default_agent="daarwizz", bots=["main"])
    engine = Broadcaster(TelegramNotifier({"main": bot}), PeopleStore(store.db), audience, rate=rate)
    await bot.get_me()  # connection and response models warm
    wall, cpu = time.perf_counter(), time.thread_time()
    final = await engine.run("Бенчмарк розсилки: оновлення о 10:00.", recipients)
    wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
    sends = [c.at for c in fake.calls if c.method == "sendMessage"]
    at_fake = (len(sends) - 1) / (max(sends) - min(sends))
    print(f"rate {rate:>4g}/s (paced at {engine.pace:g}) · fake limit {limit}/s · {len(recipients)} recipients: "
          f"{final.done / wall:5.1f} msg/s achieved ({at_fake:.1f}/s at the fake), "
          f"busiest second {most_in_one_second(sends)}, 429s {len(fake.rate_limited)}, "
          f"delivered {final.delivered} · blocked {final.blocked} · failed {final.failed}, "
          f"CPU {cpu * 1000 / final.done:.2f} ms/message, {wall:.1f} s")
    await bot.session.close()
    await store.close()
    asyncio.run_coroutine_threadsafe(fake.stop(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--limit", type=int, default=30, help="the fake's messages per second per bot")
    parser.add_argument("--rates", default="25,30", help="BROADCAST_RATE values to try, comma-separated")
    args = parser.parse_args()
    share_generic_cache()
    with tempfile.TemporaryDirectory() as tmp:
        for i, rate in enumerate(float(r) for r in args.rates.split(",")):
            await run(args.n, rate, args.limit, Path(tmp) / f"bench{i}.db")


if __name__ == "__main__":
    asyncio.run(main())
