"""bench/replicas.py's takeover: a replica is killed (SIGKILL) while the model call of a message it holds hangs;
the other replica's answer to that message is timed from the kill."""
from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.replica_cluster import Cluster
from bench.replica_load import Answers, fakes, question_of
from bench.startup import TOKEN
from bot.testing import FakeTelegram
from router.testing import FakeLLM
from tests.e2e.processes import stored


@dataclass(frozen=True)
class Takeover:
    """One killed replica: seconds from the kill to the survivor's model call and to its answer; seconds between
    the dead replica's last renewal of the message's lease and the kill."""

    lease: float
    to_model: float
    to_answer: float
    renewed_before_kill: float

    @property
    def after_renewal(self) -> float:
        return self.to_answer + self.renewed_before_kill


async def takeovers(tmp: Path, database_url: str, redis_url: str, lease: float, runs: int) -> list[Takeover]:
    """Two replicas with PENDING_LEASE=`lease`; `runs` times: a message hangs in the model on one, which is killed."""
    out: list[Takeover] = []
    async with FakeTelegram() as tg, FakeLLM() as llm:
        answers = fakes(tg, llm)
        cluster = Cluster(tmp, tg, llm, database_url, redis_url, n=2, lease=lease)
        await cluster.start()
        try:
            rng = random.Random(16)
            for k in range(runs):
                victim, chat, tag = k % 2, 90_000 + k, f"held-{lease:g}-{k}"
                # The kill at any moment of the replicas' renew/sweep cycle (period lease/3), spread over the runs.
                await asyncio.sleep((k + rng.random()) / runs * lease / 3)
                out.append(await _one_takeover(tg, llm, answers, cluster, database_url, victim, chat, tag))
                if k < runs - 1:
                    await cluster.restart(victim)
        finally:
            cluster.stop()
    return out


async def _one_takeover(tg: FakeTelegram, llm: FakeLLM, answers: Answers, cluster: Cluster, database_url: str,
                        victim: int, chat: int, tag: str) -> Takeover:
    done: asyncio.Future[float] = asyncio.get_running_loop().create_future()
    answers.waiting[chat] = (tag, done)
    llm.fail("hang")
    asked = len(llm.chat_requests())
    update_id = tg.send_text(TOKEN, chat_id=chat, user_id=chat, text=tag)
    if await tg.post_update(TOKEN, update_id, url=cluster.url(victim)) != 200:
        raise RuntimeError(f"replica {victim} refused the update:\n{cluster.log(victim)}")
    await _until(lambda: len(llm.chat_requests()) > asked, 30, lambda: cluster.log(victim))
    cluster.kill(victim)
    killed, killed_wall = time.monotonic(), datetime.now(UTC)
    llm.release()  # the hung call's connection is the dead process's: nothing more comes of it
    renewed = stored(database_url, f"select lease_at from messages where chat_id = {chat} and role = 'user'")[0][0]
    renewed = renewed if renewed.tzinfo else renewed.replace(tzinfo=UTC)
    try:
        at = await asyncio.wait_for(done, cluster.lease * 3 + 30)
    except TimeoutError:
        said = [(c.method, c.params.get("text")) for c in tg.calls if c.params.get("chat_id") == chat]
        raise RuntimeError(f"the survivor never answered {tag!r} (the chat saw {said}); its log:\n"
                           f"{cluster.log(1 - victim)}") from None
    model = next(r.at for r in llm.chat_requests()[asked + 1:]
                 if question_of((r.json or {}).get("messages") or []) == tag)
    return Takeover(cluster.lease, model - killed, at - killed, (killed_wall - renewed).total_seconds())


async def _until(cond: Callable[[], bool], timeout: float, log: Callable[[], str]) -> None:
    for _ in range(int(timeout * 100)):
        if cond():
            return
        await asyncio.sleep(0.01)
    raise RuntimeError(f"timed out:\n{log()}")
