"""Two replicas behind one webhook on one Postgres and one Redis, as deployed: one is killed with answers in flight.

The fake Bot API posts each update to one replica at random and 10 % of them to the other as well (Telegram's
retries, a proxy's failover); a post the dead replica cannot take goes to the other, as Telegram retries it.
"""
from __future__ import annotations

import asyncio
import random
import signal
import subprocess
from pathlib import Path

import aiohttp
import redis

from bot.testing import FakeTelegram
from router.testing import FakeLLM
from storage.redis_link import key
from tests.e2e.processes import start_bot, stored, until
from tests.e2e.test_reminders import FIRED
from tests.harness import TOKEN
from tests.services import free_port

ROUTER = """
providers:
  ollama: {kind: ollama, base_url: "${OLLAMA_URL}", local: true, timeouts: {connect: 2, first_token: 60, total: 120}}
routes:
  chat: [ollama:qwen3:8b]
"""
CHATS, EACH = 8, 6  # users writing at once, messages each


class Replicas:
    """The two bot processes and the fake's deliveries to them."""

    def __init__(self, tmp: Path, tg: FakeTelegram, llm: FakeLLM, database_url: str, redis_url: str) -> None:
        self.tg, self.ports, self.redis_url = tg, [free_port(), free_port()], redis_url
        self.procs: list[subprocess.Popen[bytes]] = []
        self.dirs = [tmp / "r0", tmp / "r1"]
        for i, port in enumerate(self.ports):
            self.dirs[i].mkdir()
            self.procs.append(start_bot(self.dirs[i], tg, llm, ROUTER, {
                "WEBHOOK_URL": "https://bot.example.com", "WEBHOOK_HOST": "127.0.0.1", "WEBHOOK_PORT": str(port),
                "PENDING_LEASE": "2", "REDIS_URL": redis_url, "REPLICA_ID": f"replica-{i}",
                }, database_url=database_url))
        self.dead: set[int] = set()
        self.rng = random.Random(16)

    def url(self, i: int) -> str:
        return f"http://127.0.0.1:{self.ports[i]}/telegram/main"

    async def ready(self) -> None:
        await until(lambda: len(self.tg.calls_of("setWebhook")) >= 2, self.procs[0], self.dirs[0], 60)
        await until(lambda: self.procs[1].poll() is None, self.procs[1], self.dirs[1], 1)
        bus = redis.Redis.from_url(self.redis_url)
        try:  # both listen on the replica bus (a replica starting later catches up when it subscribes)
            await until(lambda: bus.pubsub_numsub(key("bus"))[0][1] >= 2, self.procs[1], self.dirs[1], 30)
        finally:
            bus.close()

    async def deliver(self, update_id: int, to: int | None = None) -> None:
        """To a random live replica (or `to`), 10 % also to the other at once; a failed post is retried on the other."""
        first = self.rng.randrange(2) if to is None else to
        order = [first, 1 - first]
        twice = to is None and self.rng.random() < 0.10
        posts = [self._post(update_id, order[0])] + ([self._post(update_id, order[1])] if twice else [])
        if 200 not in await asyncio.gather(*posts) and await self._post(update_id, order[1]) != 200:
            raise AssertionError(f"no replica took update {update_id}")

    async def _post(self, update_id: int, i: int) -> int:
        if i in self.dead:
            return 0
        try:
            return await self.tg.post_update(TOKEN, update_id, url=self.url(i))
        except aiohttp.ClientError:
            return 0

    def kill(self, i: int) -> None:
        self.dead.add(i)
        self.procs[i].send_signal(signal.SIGKILL)
        self.procs[i].wait()

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=30)


async def test_two_replicas_answer_each_message_once_and_in_order_when_one_is_killed(
        tmp_path: Path, postgres_url: str, redis_url: str) -> None:
    users = [3001 + n for n in range(CHATS)]
    async with FakeTelegram() as tg, FakeLLM(token_delay=0.01) as llm:
        tg.add_bot(TOKEN, "dagi_bot")
        tg.auto_deliver = False  # this test is Telegram's delivery: Replicas.deliver
        replicas = Replicas(tmp_path, tg, llm, postgres_url, redis_url)
        try:
            await replicas.ready()
            reminder = tg.send_text(TOKEN, chat_id=4001, user_id=4001, text="/remind in 3s call the supplier")
            # Set on the replica that dies; due about when Telegram stalls, so the replica that fires it may die
            # with its send held (the survivor takes it back after the lease) or the survivor fires it.
            await replicas.deliver(reminder, to=0)
            await tg.wait_for(lambda: bool(tg.sent_texts(4001)), timeout=30)

            async def chat(uid: int, start: int, stop: int, to: int | None = None) -> None:
                for n in range(start, stop):
                    await replicas.deliver(tg.send_text(TOKEN, chat_id=uid, user_id=uid, text=f"{uid} #{n}"), to)
                    await asyncio.sleep(replicas.rng.uniform(0.02, 0.12))  # a person types faster than this never

            await asyncio.gather(*(chat(uid, 0, 3) for uid in users))
            # Telegram stalls with answers in flight on both replicas (each chat's 4th message on replica 0 at
            # least), then replica 0 dies with its sends unsent.
            tg.hold()
            await asyncio.gather(*(chat(uid, 3, 4, to=0) for uid in users))
            await until(lambda: stored(postgres_url, "select count(*) from messages where role = 'user'")[0][0]
                        >= CHATS * 4, replicas.procs[0], replicas.dirs[0], 30)
            await asyncio.sleep(0.3)  # what each replica was writing to the database is written
            replicas.kill(0)
            await asyncio.sleep(0.2)  # the fake sees the dead replica's connections closed: its held calls never run
            tg.resume()
            await asyncio.gather(*(chat(uid, 4, EACH) for uid in users))

            for uid in users:
                await until(lambda uid=uid: len(tg.sent_texts(uid)) >= EACH, replicas.procs[1], replicas.dirs[1], 60)
            await tg.wait_for(lambda: any(t.startswith(FIRED) for t in tg.sent_texts(4001)), timeout=30)
            await asyncio.sleep(1.0)  # a second answer or a second reminder would arrive by now
        finally:
            replicas.stop()
        for uid in users:
            assert tg.sent_texts(uid) == [f"echo: {uid} #{n}" for n in range(EACH)], f"chat {uid}"
        assert [t for t in tg.sent_texts(4001) if t.startswith(FIRED)] == [FIRED + "call the supplier"]
        statuses = stored(postgres_url, "select status, count(*) from messages where role = 'user' group by status")
        assert dict(statuses) == {"done": CHATS * EACH}
        taken = stored(postgres_url, "select count(*) from messages where role = 'user' and tries > 1")[0][0]
        assert taken >= CHATS, "replica 0 died holding messages, and replica 1 answered them"
