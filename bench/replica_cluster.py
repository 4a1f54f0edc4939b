"""bench/replicas.py's bot processes: webhook replicas (`python -m bot run`) on the fakes, and whose CPU is whose.

Each replica listens on its own port of 127.0.0.1; the fake Bot API delivers nothing by itself (`auto_deliver`
off): the bench POSTs every update to the replica it chooses, as a load balancer in front of them would.
"""
from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import psutil
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from bench.startup import bot_env
from bot.testing import FakeTelegram
from router.testing import FakeLLM
from storage.redis_link import connect
from tests.services import free_port

WEBHOOK = "https://bot.example.com"  # what setWebhook says; the bench posts to each replica's own port instead
# Out of the way of the load, the same for every setup: flood control still checks every message (in Redis when
# REDIS_URL is set) but never refuses one, and a chat's 11 answers fit its send budget (no pacing waits).
COMMON = {"FLOOD_USER_MESSAGES": "100000", "UPDATE_BURST": "20"}
# The fake model answers any number of requests at once: the bench measures the replicas, not a model's slots
# (a local Ollama is otherwise given 2, router/capacity.py).
ROUTER = """
providers:
  ollama: {kind: ollama, base_url: "${OLLAMA_URL}", local: true, max_concurrency: 1000,
           timeouts: {connect: 5, first_token: 60, total: 300}}
routes:
  chat: [ollama:qwen3:8b]
"""


class Cluster:
    """`n` webhook replicas on one database (and one Redis, or none), started and stopped together."""

    def __init__(self, tmp: Path, tg: FakeTelegram, llm: FakeLLM, database_url: str, redis_url: str | None, *,
                 n: int, lease: float = 60.0) -> None:
        self.tmp, self.tg, self.llm = tmp, tg, llm
        self.database_url, self.redis_url, self.lease = database_url, redis_url, lease
        self.ports: list[int] = [0] * n
        self.procs: list[subprocess.Popen[bytes]] = []
        self._starts = 0

    def url(self, i: int) -> str:
        return f"http://127.0.0.1:{self.ports[i]}/telegram/main"

    async def start(self) -> None:
        """Start every replica at once; return when each has set the webhook (it listens by then)."""
        hooks = len(self.tg.calls_of("setWebhook"))
        self.procs = [self._spawn(i) for i in range(len(self.ports))]
        await self._until_hooked(hooks + len(self.procs))

    async def restart(self, i: int) -> None:
        """A new process in place of replica `i` (a new port and REPLICA_ID: a fresh container)."""
        hooks = len(self.tg.calls_of("setWebhook"))
        self.procs[i] = self._spawn(i)
        await self._until_hooked(hooks + 1)

    def kill(self, i: int) -> None:
        """kill -9: no shutdown handler runs, nothing it held is released."""
        self.procs[i].send_signal(signal.SIGKILL)
        self.procs[i].wait()

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def cpu(self) -> float:
        """CPU seconds (user + system) of the live replicas so far."""
        return sum(cpu_of(p.pid) for p in self.procs if p.poll() is None)

    def log(self, i: int) -> str:
        path = self.tmp / f"replica-{i}.log"
        return path.read_text()[-3000:] if path.exists() else ""

    def _spawn(self, i: int) -> subprocess.Popen[bytes]:
        self._starts += 1
        self.ports[i] = free_port()
        home = self.tmp / f"replica-{i}-{self._starts}"
        home.mkdir(parents=True)
        env = bot_env(home, self.tg, self.llm)
        (home / "router.yaml").write_text(ROUTER)
        env.pop("REDIS_URL", None)
        env.update(COMMON, DATABASE_URL=self.database_url, WEBHOOK_URL=WEBHOOK, WEBHOOK_HOST="127.0.0.1",
                   WEBHOOK_PORT=str(self.ports[i]), REPLICA_ID=f"replica-{i}-{self._starts}",
                   PENDING_LEASE=str(self.lease), **({"REDIS_URL": self.redis_url} if self.redis_url else {}))
        return subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=home, env=env, stdout=subprocess.DEVNULL,
                                stderr=(self.tmp / f"replica-{i}.log").open("ab"))

    async def _until_hooked(self, hooks: int) -> None:
        for _ in range(1200):
            if len(self.tg.calls_of("setWebhook")) >= hooks:
                await asyncio.sleep(1.0)  # start-up work after the webhook is set (menus, recovery) ends
                return
            dead = [i for i, p in enumerate(self.procs) if p.poll() is not None]
            if dead:
                raise SystemExit(f"replica {dead[0]} exited before it set the webhook:\n{self.log(dead[0])}")
            await asyncio.sleep(0.05)
        raise SystemExit("the replicas did not set the webhook within 60 s:\n" + self.log(0))


def cpu_of(pid: int) -> float:
    """CPU seconds of one process; 0 once it is gone."""
    try:
        return float(sum(psutil.Process(pid).cpu_times()[:2]))
    except psutil.Error:
        return 0.0


class ServiceCpu:
    """CPU of the Postgres cluster (postmaster and its backends) and of redis-server, when they run here."""

    def __init__(self, pids: Iterable[int]) -> None:
        self.roots = list(pids)

    @classmethod
    def find(cls, postgres_url: str | None, redis_pid: int | None) -> ServiceCpu:
        pids = [redis_pid] if redis_pid else []
        if postgres_url:
            engine = create_engine(postgres_url, poolclass=NullPool)
            try:
                with engine.connect() as conn:
                    data = str(conn.execute(text("SHOW data_directory")).scalar())
                pids.append(int((Path(data) / "postmaster.pid").read_text().split()[0]))
            except (OSError, ValueError, IndexError):
                pass  # a server of your own elsewhere (DAGI_TEST_POSTGRES_URL): its CPU is not counted
            finally:
                engine.dispose()
        return cls(pids)

    def sample(self) -> dict[int, float]:
        """CPU seconds per pid: the roots and their children (Postgres starts a backend per connection)."""
        out: dict[int, float] = {}
        for pid in self.roots:
            try:
                root = psutil.Process(pid)
                for p in [root, *root.children(recursive=True)]:
                    out[p.pid] = float(sum(p.cpu_times()[:2]))
            except psutil.Error:
                continue
        return out

    @staticmethod
    def spent(before: dict[int, float], after: dict[int, float]) -> float:
        """CPU seconds between two samples (a backend born in between counts from zero)."""
        return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


class Counters:
    """Work counted by the servers themselves: Postgres transactions in the database, commands Redis ran."""

    def __init__(self, postgres_url: str | None, redis_url: str | None) -> None:
        self.postgres_url, self.redis_url = postgres_url, redis_url

    async def read(self) -> tuple[int | None, int | None]:
        return await asyncio.to_thread(self._transactions), await self._commands()

    def _transactions(self) -> int | None:
        if not self.postgres_url:
            return None
        engine = create_engine(self.postgres_url, poolclass=NullPool)
        try:
            with engine.connect() as conn:
                # Two reads differ by the bots' transactions and this read's own one.
                return int(conn.execute(text("SELECT xact_commit + xact_rollback FROM pg_stat_database "
                                             "WHERE datname = current_database()")).scalar() or 0)
        finally:
            engine.dispose()

    async def _commands(self) -> int | None:
        if not self.redis_url:
            return None
        client = connect(self.redis_url)
        try:
            return int((await client.info("stats"))["total_commands_processed"])
        finally:
            await client.aclose()
