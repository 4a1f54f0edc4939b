"""REDIS_URL: flows kept in Redis, a redis check in /readyz, its password never in the logs; unset: no redis at all."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from aiogram.fsm.storage.redis import RedisStorage

from base import ConfigError
from bot.app import FLOW_TTL, fsm_storage
from bot.flows.states import TIMEOUTS
from bot.settings import load_settings
from ops.readiness import ReadinessProbe, redis
from tests.harness import running_bot
from tests.observability.test_endpoints import Endpoints, eventually, free_port

ROOT = Path(__file__).resolve().parent.parent.parent
PASSWORD = "r3dis-Pa$$word/with@odd:chars"  # percent-encoded in the URL


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "FSM_STORAGE")} | {"PYTHONPATH": str(ROOT)}


def test_redis_url_alone_picks_the_redis_storage_and_fsm_storage_redis_alone_is_refused(redis_url) -> None:
    settings = load_settings(_env_file=None, redis_url=redis_url)
    assert settings.fsm_storage == "redis"
    storage = fsm_storage(settings)
    assert isinstance(storage, RedisStorage)
    assert storage.state_ttl == storage.data_ttl == FLOW_TTL > max(TIMEOUTS.values()), "outlives every flow"
    assert load_settings(_env_file=None, redis_url=redis_url, fsm_storage="memory").fsm_storage == "memory"
    with pytest.raises(ConfigError, match="FSM_STORAGE: .*REDIS_URL.*Fix: "):
        load_settings(_env_file=None, fsm_storage="redis")
    with pytest.raises(ConfigError, match="REDIS_URL: .*Fix: ") as err:
        load_settings(_env_file=None, redis_url=f"http://:{PASSWORD}@host")
    assert PASSWORD not in str(err.value)


def test_without_redis_url_the_storage_is_memory_and_redis_is_never_imported() -> None:
    code = ("import sys; from bot.app import fsm_storage; from bot.settings import load_settings; "
            "s = fsm_storage(load_settings(_env_file=None)); print(type(s).__name__, 'redis' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_env(), capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.split() == ["MemoryStorage", "False"]


async def test_the_redis_check_is_ok_while_redis_answers_and_not_once_it_is_gone(redis_url) -> None:
    assert (await ReadinessProbe({"redis": redis(redis_url)}).run()).as_json() == {
        "status": "ready", "checks": {"redis": "ok"}}
    gone = await ReadinessProbe({"redis": redis(f"redis://127.0.0.1:{free_port()}/0")}).run()
    assert not gone.ready and gone.checks["redis"].startswith("unreachable")


async def test_readyz_of_a_running_bot_checks_redis(tmp_path, tg, llm, redis_url) -> None:
    port = free_port()
    async with running_bot(tmp_path, tg=tg, llm=llm, redis_url=redis_url, metrics_port=port):
        ep = Endpoints(port)
        status, body = await eventually(lambda: ep.get("/readyz"))
        assert body["checks"]["redis"] == "ok"
    closed = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there: the Redis is gone
    async with running_bot(tmp_path, tg=tg, llm=llm, redis_url=closed, metrics_port=port):
        status, body = await eventually(lambda: ep.get("/readyz"))
        assert status == 503 and body["status"] == "not ready"
        assert body["checks"]["redis"].startswith("unreachable") and body["checks"]["database"] == "ok"


def test_the_redis_password_never_reaches_the_logs() -> None:
    url = f"redis://dagi:{quote(PASSWORD, safe='')}@127.0.0.1:6379/0"
    code = f"""
import logging
from urllib.parse import unquote, urlsplit
from bot.logs import setup_logging
from bot.services import secrets
from bot.settings import load_settings

settings = load_settings(_env_file=None, redis_url={url!r})
setup_logging("INFO", secrets(settings, {{}}))
log = logging.getLogger("dagi.test")
log.warning("connecting to %s", {url!r})
log.warning("password %s, as written %s", unquote(urlsplit({url!r}).password), urlsplit({url!r}).password)
print("settings:", settings)
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_env(), capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    logged = done.stderr + done.stdout
    assert "connecting to <secret>" in logged
    assert PASSWORD not in logged and quote(PASSWORD, safe="") not in logged and "r3dis-Pa" not in logged
