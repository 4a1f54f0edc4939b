"""Real Postgres and Redis for the tests: throwaway servers from Debian's packages, started once per session.

Fixtures (a pytest plugin, loaded by tests/conftest.py):
- `postgres_server` (session): the running cluster (`.url`, `.create_database()`, `.drop_database(url)`).
- `postgres_url`: a fresh, empty database on it for one test, dropped afterwards.
- `redis_server` (session): the running Redis's URL; `redis_url`: the same, its database emptied for one test.
- `database_url`: parametrized over ["sqlite", "postgres"]: a new SQLite file, or `postgres_url`.
- `replica_dbs`: two replicas' connections (storage.db.Database) to one migrated `database_url`.
DAGI_TEST_POSTGRES_URL / DAGI_TEST_REDIS_URL name servers of your own instead (the Postgres role needs CREATEDB).
Without the Debian binaries the tests that use these fixtures fail, saying what to install; the others run.
"""
from __future__ import annotations

import glob
import itertools
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from storage.db import Database, migrate, open_engine, sync_url

INSTALL = "apt-get install postgresql redis-server"
PG_USER = "postgres"  # the cluster's superuser; also the OS user that runs it when tests run as root
# A throwaway cluster: durability is worth nothing here and costs seconds of fsync per test run. The server's zone
# is an odd one (UTC+12:45/+13:45) on purpose: the bot's sessions must read times in UTC whatever the server's is.
PG_OPTIONS = ("-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 "
              "-c listen_addresses=127.0.0.1 -c TimeZone=Pacific/Chatham")


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_bin() -> Path:
    """The newest installed PostgreSQL's bin directory (Debian: /usr/lib/postgresql/<version>/bin)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3].split(".")[0]))
    if not found:
        pytest.fail(f"PostgreSQL's initdb was not found under /usr/lib/postgresql: {INSTALL} "
                    "(or set DAGI_TEST_POSTGRES_URL)", pytrace=False)
    return Path(found[-1]).parent


def _mark_owned(home: Path) -> None:
    """Note which test session started the server in `home`, so a later one can clean up if this one is killed."""
    (home / "session.pid").write_text(str(os.getpid()))


def _orphans(prefix: str) -> list[Path]:
    """Server directories of earlier test sessions that died (kill -9, a CI timeout) before stopping them."""
    found = []
    for home in Path(tempfile.gettempdir()).glob(f"{prefix}*"):
        try:
            os.kill(int((home / "session.pid").read_text()), 0)
        except ProcessLookupError:
            found.append(home)
        except (OSError, ValueError):  # alive (maybe another user's), or not one of ours
            continue
    return found


def _as_owner(cmd: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: then they run as the `postgres` user the Debian package made."""
    return ["runuser", "-u", PG_USER, "--", *cmd] if os.geteuid() == 0 else cmd


class PostgresServer:
    """A cluster in a temporary directory on 127.0.0.1 (trust auth, socket in that directory), or one of yours."""

    def __init__(self, url: str, home: Path | None = None, bin_dir: Path | None = None) -> None:
        self.url = url  # the maintenance database, as a SQLAlchemy URL with psycopg
        self._home, self._bin = home, bin_dir
        self._admin = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        self._names = itertools.count(1)

    @classmethod
    def start(cls) -> PostgresServer:
        bin_dir = _pg_bin()
        for orphan in _orphans("dagi-pg-"):
            subprocess.run(_as_owner([str(bin_dir / "pg_ctl"), "-D", str(orphan / "data"), "-m", "immediate", "stop"]),
                           capture_output=True, timeout=60)
            shutil.rmtree(orphan, ignore_errors=True)
        home = Path(tempfile.mkdtemp(prefix="dagi-pg-"))  # not under pytest's tmp: that is closed to other users
        _mark_owned(home)
        data, port = home / "data", free_port()
        if os.geteuid() == 0:
            shutil.chown(home, PG_USER, PG_USER)
        try:
            _run(_as_owner([str(bin_dir / "initdb"), "-D", str(data), "-U", PG_USER, "--auth=trust", "-E", "UTF8",
                            "--locale=C.UTF-8", "--no-sync"]))
            _run(_as_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(home / "postgres.log"), "-w",
                            "-t", "60", "-o", f"{PG_OPTIONS} -p {port} -k {home}", "start"]))
        except BaseException:
            shutil.rmtree(home, ignore_errors=True)
            raise
        return cls(f"postgresql+psycopg://{PG_USER}@127.0.0.1:{port}/postgres", home, bin_dir)

    def create_database(self) -> str:
        """A new empty database; its URL."""
        name = f"dagi_test_{os.getpid()}_{next(self._names)}"  # unique on a developer's shared server too
        with self._admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0'))
        return make_url(self.url).set(database=name).render_as_string(hide_password=False)

    def drop_database(self, url: str) -> None:
        """Drop a database made by create_database, closing whatever is still connected to it."""
        name = make_url(url).database
        with self._admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def stop(self) -> None:
        """Stop the cluster (if this session started it) and delete its files."""
        self._admin.dispose()
        if self._home is None or self._bin is None:
            return
        subprocess.run(_as_owner([str(self._bin / "pg_ctl"), "-D", str(self._home / "data"), "-m", "immediate",
                                  "-w", "stop"]), capture_output=True, timeout=60)
        shutil.rmtree(self._home, ignore_errors=True)


def _run(cmd: list[str]) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if done.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")


class RedisServer:
    """redis-server on a free port of 127.0.0.1, nothing saved to disk, or one of yours."""

    def __init__(self, url: str, proc: subprocess.Popen[bytes] | None = None, home: Path | None = None) -> None:
        self.url, self._proc, self._home = url, proc, home

    @classmethod
    def start(cls, port: int | None = None) -> RedisServer:
        """A new redis-server, on `port` if given (to restart one where its clients expect it)."""
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail(f"redis-server was not found: {INSTALL} (or set DAGI_TEST_REDIS_URL)", pytrace=False)
        for orphan in _orphans("dagi-redis-"):
            _stop_orphan_redis(orphan)
        home, port = Path(tempfile.mkdtemp(prefix="dagi-redis-")), port or free_port()
        _mark_owned(home)
        proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                                 "no", "--daemonize", "no", "--dir", str(home), "--logfile", str(home / "redis.log"),
                                 "--pidfile", str(home / "redis.pid")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        server = cls(f"redis://127.0.0.1:{port}/0", proc, home)
        deadline = time.monotonic() + 30
        while True:
            try:
                if server.command("PING") == b"+PONG":
                    return server
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(f"redis-server did not start: {(home / 'redis.log').read_text()[-2000:]}")
            time.sleep(0.05)

    def command(self, *args: str) -> bytes:
        """Send one command in RESP to the URL's database; the reply's first line (no client library needed)."""
        url = urlsplit(self.url)
        hello = _resp("AUTH", unquote(url.password)) if url.password else b""
        with socket.create_connection((url.hostname or "127.0.0.1", url.port or 6379), timeout=5) as s:
            s.sendall(hello + _resp("SELECT", url.path.strip("/") or "0") + _resp(*args))
            replies = 3 if hello else 2  # simple one-line replies: AUTH's, SELECT's, then the command's
            reply = b""
            while reply.count(b"\r\n") < replies and (chunk := s.recv(4096)):
                reply += chunk
        return reply.split(b"\r\n")[replies - 1]

    def stop(self) -> None:
        """Stop redis-server (if this session started it) and delete its directory."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if self._home is not None:
            shutil.rmtree(self._home, ignore_errors=True)


def _stop_orphan_redis(home: Path) -> None:
    try:
        pid = int((home / "redis.pid").read_text())
        if b"redis-server" in Path(f"/proc/{pid}/cmdline").read_bytes():  # that pid may belong to another by now
            os.kill(pid, signal.SIGTERM)
    except (OSError, ValueError):
        pass
    shutil.rmtree(home, ignore_errors=True)


def _resp(*args: str) -> bytes:
    return (f"*{len(args)}\r\n" + "".join(f"${len(a.encode())}\r\n{a}\r\n" for a in args)).encode()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One Postgres for the whole session (yours if DAGI_TEST_POSTGRES_URL is set)."""
    own = os.environ.get("DAGI_TEST_POSTGRES_URL")
    # postgresql://… without a driver picks psycopg, as the bot does.
    server = PostgresServer(sync_url(own).render_as_string(hide_password=False)) if own else PostgresServer.start()
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh, empty Postgres database for one test (postgresql+psycopg://…), dropped after it."""
    url = postgres_server.create_database()
    yield url
    postgres_server.drop_database(url)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One Redis for the whole session (yours if DAGI_TEST_REDIS_URL is set)."""
    own = os.environ.get("DAGI_TEST_REDIS_URL")
    server = RedisServer(own) if own else RedisServer.start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The session's Redis (redis://127.0.0.1:PORT/0), its database emptied before this test."""
    redis_server.command("FLUSHDB")
    return redis_server.url


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The bot's database for one test, on each engine: a new SQLite file, or a fresh Postgres database."""
    if request.param == "postgres":
        return str(request.getfixturevalue("postgres_url"))
    return f"sqlite:///{tmp_path}/dagi.db"


@pytest.fixture
async def replica_dbs(database_url: str) -> AsyncIterator[list[Database]]:
    """Two replicas' connections to one migrated database (SQLite file or Postgres), each with its own DB thread."""
    first = Database(open_engine(database_url), inline=False)
    await first.call(migrate, first.engine)
    second = Database(open_engine(database_url), inline=False)
    yield [first, second]
    for db in (first, second):
        await db.close()
