"""Admin control of the router and the personas: targets on/off and agent routes (kept in admin_settings),
and re-reading agents.yaml and router.yaml without a restart."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from agents.persona import load_personas
from base import ConfigError
from ops.services import Ops
from router.config import build_router, load_router_config, missing_setting
from router.core import ModelRouter
from router.types import Target
from storage.admin_settings import AdminSettings

log = logging.getLogger(__name__)

DISABLED = "router.disabled"  # JSON list of "provider:model" or "provider"
ROUTES = "router.agent_routes"  # JSON {agent: ["provider:model", …]}
CLOSE_GRACE = 60.0  # seconds old providers stay open after a reload, so answers streaming from them finish
RELOAD_TOPIC = "reload"  # on the replica bus: an admin reloaded the config files, every replica re-reads its own
ADMIN_TOPIC = "admin"  # on the replica bus: admin_settings changed, re-read them (ops.shared_state)


@dataclass(frozen=True, slots=True)
class Outcome:
    """An admin change: applied, or why not (`error` is a code the front end words, `known` what exists)."""

    ok: bool
    subject: str = ""
    error: str = ""  # unknown_provider | unknown_target | unknown_agent | bad_target; provider_off with ok
    known: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ReloadResult:
    """What a reload did: the new config's size, or the loader's error (nothing changed then)."""

    ok: bool
    error: str = ""
    agents: int = 0
    providers: int = 0
    rules: int = 0  # as written: entries of `rules:` and of `routes:`
    left_out: tuple[str, ...] = ()  # providers in router.yaml that could not be built, with the reason
    dropped: tuple[str, ...] = ()  # admin overrides that name a provider no longer configured


async def restore(ops: Ops, *, quiet: bool = False) -> None:
    """Apply the targets switched off and the agent routes admins set from chat (at start, after a reload, when
    another replica says it changed them, and every minute in case that news was lost); `quiet` logs misfits at
    debug level."""
    warn = log.debug if quiet else log.warning
    store = AdminSettings(ops.store.db)
    disabled, routes = await store.get(DISABLED, []), await store.get(ROUTES, {})
    router = ops.router
    for spec in set(router.overrides.disabled) - set(disabled):
        router.switch(spec, True)
    for spec in disabled:
        if _check_target(router, spec) is None:
            router.switch(spec, False)
        else:
            warn("switched-off target %s is not in the router config any more; ignored", spec)
    for agent in set(router.overrides.routes) - set(routes):
        router.set_agent_route(agent, [])
    for agent, specs in routes.items():
        persona, targets = ops.personas.get(agent), _targets(router, specs)
        if persona is None or isinstance(targets, Outcome):
            warn("route of agent %s (%s) no longer fits the config; ignored", agent, ", ".join(specs))
            continue
        router.set_agent_route(persona.key, targets, task=persona.route)


async def keep_in_sync(ops: Ops, every: float = 60.0) -> None:
    """Re-apply the stored admin changes every `every` seconds (until cancelled): replicas converge within it."""
    while True:
        await asyncio.sleep(every)
        try:
            await restore(ops, quiet=True)
        except Exception:
            log.warning("could not re-read the admin settings", exc_info=True)


async def set_target(ops: Ops, spec: str, on: bool, *, by: int | None = None) -> Outcome:
    """Switch a target (`provider:model`) or a whole provider on or off, now and after restarts."""
    problem = _check_target(ops.router, spec)
    if problem is not None:
        return problem
    ops.router.switch(spec, on)
    store = AdminSettings(ops.store.db)
    disabled = set(await store.get(DISABLED, []))
    disabled = disabled - {spec} if on else disabled | {spec}
    await store.put(DISABLED, sorted(disabled), by=by)
    await _announce(ops)
    log.info("admin %s switched %s %s", by, spec, "on" if on else "off")
    provider = spec.partition(":")[0]
    if on and provider != spec and provider in ops.router.overrides.disabled:
        return Outcome(True, spec, "provider_off", (provider,))  # the target is on, its whole provider is still off
    return Outcome(True, spec)


async def set_route(ops: Ops, agent: str, specs: list[str] | None, *, by: int | None = None) -> Outcome:
    """Give an agent its own targets before every rule (None: back to the rules), now and after restarts."""
    persona = ops.personas.get(agent)
    if persona is None:
        return Outcome(False, agent, "unknown_agent", tuple(ops.personas.agents))
    targets = _targets(ops.router, specs or [])
    if isinstance(targets, Outcome):
        return targets
    ops.router.set_agent_route(persona.key, targets, task=persona.route)
    store = AdminSettings(ops.store.db)
    routes = dict(await store.get(ROUTES, {}))
    if targets:
        routes[persona.key] = [str(t) for t in targets]
    else:
        routes.pop(persona.key, None)
    await store.put(ROUTES, routes, by=by)
    await _announce(ops)
    log.info("admin %s set the route of %s: %s", by, persona.key, ", ".join(map(str, targets)) or "the rules")
    return Outcome(True, persona.key)


async def _announce(ops: Ops) -> None:
    """Tell the other replicas to re-read the admin settings now, not at their next minute (stored first)."""
    if ops.publisher is not None:
        await ops.publisher.publish(ADMIN_TOPIC, {})


def _check_target(router: ModelRouter, spec: str) -> Outcome | None:
    """None when `spec` names a configured provider, or one of its targets some rule uses."""
    provider, sep, model = spec.partition(":")
    if provider not in router.providers:
        return Outcome(False, provider, "unknown_provider", tuple(router.providers))
    known = router.known_targets()
    if sep and Target(provider, model) not in known:
        return Outcome(False, spec, "unknown_target", tuple(map(str, known)))
    return None


def _targets(router: ModelRouter, specs: list[str]) -> list[Target] | Outcome:
    out: list[Target] = []
    for spec in specs:
        try:
            target = Target.parse(spec)
        except ValueError:
            return Outcome(False, spec, "bad_target")
        if target.provider not in router.providers:
            return Outcome(False, target.provider, "unknown_provider", tuple(router.providers))
        out.append(target)
    return out


def on_reload(ops: Ops, hook: Callable[[], Any]) -> None:
    """Call `hook` after each successful reload (e.g. to rebuild what was computed from the personas)."""
    ops.reload_hooks.append(hook)


async def reload(ops: Ops, *, grace: float = CLOSE_GRACE, announce: bool = True) -> ReloadResult:
    """Re-read agents.yaml and router.yaml; swap them in place, or change nothing and return the loader's error.
    `announce`: the other replicas (REDIS_URL) re-read their files too, at once."""
    async with ops.reload_lock:
        s = ops.settings
        try:
            personas = await asyncio.to_thread(load_personas, s.agents_file)
            config = await asyncio.to_thread(load_router_config, s.router_file, ops.env)
            locked = [key for key in (ops.notifier.bots if ops.notifier else ()) if key != "main"]
            if missing := [key for key in locked if key not in personas.agents]:
                raise ConfigError(f"{s.agents_file}: agents.{missing[0]}: this persona has a bot of its own "
                                  f"(AGENT_BOT_TOKENS__{missing[0].upper()}); keep it or remove that token first")
            # A thread: the embedded model's file is hashed when its provider is built.
            new = await asyncio.to_thread(build_router, config, ops.env, data_dir=s.data_dir, ledger=ops.ledger)
        except (ConfigError, ValidationError, ValueError, OSError) as exc:
            log.warning("reload refused, the old config stays: %s", exc)
            return ReloadResult(False, error=_scrub(str(exc), ops.env))
        left_out = tuple(f"{name}: {missing_setting(spec, ops.env) or 'see the log'}"
                         for name, spec in config.providers.items() if name not in new.providers)
        dropped = ops.router.replace_with(new, grace=grace)
        ops.personas.replace_with(personas)
        await restore(ops)
        for hook in ops.reload_hooks:
            hook()
        result = ReloadResult(True, agents=len(personas.agents), providers=len(new.providers),
                              rules=len(config.rules) + len(config.routes), left_out=left_out, dropped=tuple(dropped))
        log.info("config reloaded: %d agents, %d providers, %d rules", result.agents, result.providers, result.rules)
    if announce and ops.publisher is not None:
        await ops.publisher.publish(RELOAD_TOPIC, {})
    return result


def _scrub(text: str, env: Mapping[str, str]) -> str:
    """An error for the admin's chat: no secret a `${VAR}` may have put into it."""
    for key, value in env.items():
        if value and len(value) >= 6 and key.endswith(("_KEY", "_TOKEN", "_SECRET", "_PASSWORD")):
            text = text.replace(value, "***")
    return text
