"""Load config/router.yaml into typed settings and build a ModelRouter from them."""
from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import PrivateAttr
from pydantic_core import ErrorDetails

from base import ConfigError, Problem, read_yaml
from router.breaker import CircuitBreakers
from router.capacity import DEFAULT_SLOTS, Capacity, SlotPolicy
from router.core import POOL, ModelRouter
from router.provider import Provider
from router.quotas import Ledger, UsageGuard, utc_now
from router.rules import CONDITIONS, Rule, RuleSpec, from_routes, ordered
from router.specs import (
    SPEECH_KINDS,
    BreakerSpec,
    EmbeddedSpec,
    EspeakSpec,
    OllamaSpec,
    OpenAISpec,
    PiperSpec,
    ProviderSpec,
    QuotasSpec,
    Spec,
    Targets,
    WhisperSpec,
)
from router.types import Target

log = logging.getLogger(__name__)

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class RouterConfig(Spec):
    """The whole router.yaml."""

    providers: dict[str, ProviderSpec]
    profiles: dict[str, Targets] = {}  # named target lists that rules can `use`
    pools: dict[str, Targets] = {}  # equal targets a rule names as `pool:NAME`: the least busy healthy one serves
    rules: tuple[RuleSpec, ...] = ()
    routes: dict[str, Targets] = {}  # shorthand: `chat: [...]` = a rule {when: {mode: chat}} after every rule
    breaker: BreakerSpec | None = None  # absent or empty: the defaults
    quotas: QuotasSpec = QuotasSpec()
    _lines: dict[tuple[str | int, ...], int] = PrivateAttr(default_factory=dict)  # key path → 1-based line

    def line(self, *path: str | int) -> int | None:
        """The line of a key (or list item) in the file this config came from, if known."""
        return self._lines.get(tuple(path))

    def targets_of(self, rule: RuleSpec) -> tuple[Target, ...]:
        """A rule's targets, its profile resolved."""
        return self.profiles[rule.use] if isinstance(rule.use, str) else rule.use

    def compiled_rules(self) -> tuple[Rule, ...]:
        """Every rule (and route shorthand) as matchable Rules, in the order they are tried."""
        rules = [spec.compile(self.targets_of(spec), index=i, line=self.line("rules", i))
                 for i, spec in enumerate(self.rules)]
        route_lines = {task: line for task in self.routes if (line := self.line("routes", task)) is not None}
        return ordered((*rules, *from_routes(self.routes, route_lines)))


def interpolate(value: Any, env: Mapping[str, str]) -> Any:
    """Replace `${NAME}` / `${NAME:-default}` in every string; unset names become '' or the default."""
    if isinstance(value, str):
        return _VAR.sub(lambda m: env.get(m.group(1)) or (m.group(2) or ""), value)
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    return value


def _explain(error: ErrorDetails) -> Problem:
    """A pydantic error in router.yaml's words: the key as written, and what to write instead."""
    loc, kind = list(error["loc"]), error["type"]
    # A discriminated union puts the tag into the location (providers.groq.openai.x); users never wrote it.
    if len(loc) >= 3 and loc[0] == "providers" and loc[2] in ("ollama", "openai", "embedded", *SPEECH_KINDS):
        del loc[2]
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        loc.append("kind")
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind == "too_short" and loc[:1] in (["routes"], ["profiles"]):
        message = f"a {'route' if loc[0] == 'routes' else 'profile'} needs at least one target"
    elif kind == "tuple_type" and loc == ["rules"]:
        message = "must be a list of rules, each `- when: {...}` with `use: [...]`"
    elif kind == "extra_forbidden" and loc[-2:-1] == ["when"]:
        message = f"unknown condition {loc[-1]!r} (known: {', '.join(CONDITIONS)})"
    return Problem(tuple(loc), message)


def load_router_config(path: Path, env: Mapping[str, str]) -> RouterConfig:
    """Read, interpolate and validate router.yaml; every problem raises ConfigError naming file, key and line."""
    file = read_yaml(path, expected="a mapping with 'providers' and 'rules' (or 'routes')")
    config = file.validate(RouterConfig, interpolate(file.data, env), explain=_explain)
    config._lines = dict(file.lines)
    known = ", ".join(sorted(config.providers)) or "none"

    def check(targets: tuple[Target, ...], *where: str | int, pools: bool = True) -> None:
        for i, target in enumerate(targets):
            if target.provider == POOL and pools:
                if target.model not in config.pools:
                    defined = ", ".join(sorted(config.pools)) or "none"
                    raise file.error((*where, i), f"{target} names unknown pool {target.model!r} (defined: {defined})")
            elif target.provider not in config.providers:
                raise file.error((*where, i), f"{target} names unknown provider {target.provider!r} (defined: {known})")

    if POOL in config.providers:
        raise file.error(("providers", POOL), f"{POOL!r} is reserved: rules write pool:NAME for a pool; rename it")
    for name, targets in config.pools.items():
        check(targets, "pools", name, pools=False)
    for name, targets in config.profiles.items():
        check(targets, "profiles", name)
    for i, rule in enumerate(config.rules):
        if isinstance(rule.use, str):
            if rule.use not in config.profiles:
                defined = ", ".join(sorted(config.profiles)) or "none"
                raise file.error(("rules", i, "use"), f"no profile named {rule.use!r} (defined: {defined})")
        else:
            check(rule.use, "rules", i, "use")
    for task, targets in config.routes.items():
        check(targets, "routes", task)
    if not any(r.when.catch_all for r in config.rules) and "chat" not in config.routes:
        raise file.error(("rules",), "no catch-all rule: add a last rule without conditions, e.g."
                         " `- use: [ollama:qwen3:8b]`, so that every request has targets")
    return config


def build_router(config: RouterConfig, env: Mapping[str, str], *, data_dir: Path, ledger: Ledger | None = None,
                 now: Callable[[], datetime] | None = None) -> ModelRouter:
    """Create provider instances; providers missing a key or URL are left out with a warning.

    With a `ledger` (storage.usage.UsageLedger) every model call is recorded and quotas are enforced.
    """
    providers: dict[str, Provider] = {}
    for name, spec in config.providers.items():
        provider = _build_provider(name, spec, env, data_dir)
        if provider is not None:
            providers[name] = provider
    pools = {name: kept for name, members in config.pools.items()
             if (kept := tuple(t for t in members if t.provider in providers))}
    rules = []
    for rule in config.compiled_rules():
        kept = tuple(t for t in rule.targets if t.provider in providers or (t.provider == POOL and t.model in pools))
        if not kept:
            log.warning("%s has no usable target left; its requests will fail", rule.name)
        rules.append(rule.with_targets(kept))
    breakers = CircuitBreakers((config.breaker or BreakerSpec()).build())
    tiny = {t for name, spec in config.providers.items() for t in spec.tiny_targets(name)}
    return ModelRouter(providers, rules=rules, breakers=breakers, usage=usage_guard(config, ledger, now=now),
                       tiny=tiny, capacity=Capacity(slot_policies(config, providers)), pools=pools)


def slot_policies(config: RouterConfig, providers: Collection[str]) -> dict[str, SlotPolicy]:
    """Each limited provider's slots: as router.yaml says, else 2 for a local Ollama (its usual parallel; a
    health check may learn the real number), else none (in-process speech keeps its own slots)."""
    policies = {}
    for name, spec in config.providers.items():
        if name not in providers or isinstance(spec, (WhisperSpec, PiperSpec, EspeakSpec)):
            continue
        default = DEFAULT_SLOTS if isinstance(spec, OllamaSpec) and spec.local else None
        if (policy := spec.slot_policy(default)) is not None:
            policies[name] = policy
    return policies


def usage_guard(config: RouterConfig, ledger: Ledger | None, *, now: Callable[[], datetime] | None = None
                ) -> UsageGuard | None:
    """The quotas and usage rows of this config, kept in `ledger`; None without one."""
    if ledger is None:
        return None
    q = config.quotas
    limits = {name: spec.limits() for name, spec in config.providers.items()}
    return UsageGuard(ledger, limits=limits, user=q.user.build(), group=q.group.build(), tz=q.timezone,
                      now=now or utc_now)


def missing_setting(spec: Any, env: Mapping[str, str]) -> str | None:
    """Why a server provider cannot be built from `env` (empty URL, unset key); None when it can."""
    if isinstance(spec, (EmbeddedSpec, WhisperSpec, PiperSpec, EspeakSpec)):
        return None  # in-process: nothing to reach, no key
    if not spec.base_url:
        return "its base_url is empty (set the variable it refers to)"
    if isinstance(spec, OpenAISpec) and spec.api_key_env is not None and not env.get(spec.api_key_env):
        return f"{spec.api_key_env} is not set"
    return None


def _build_provider(name: str, spec: Any, env: Mapping[str, str], data_dir: Path) -> Provider | None:
    # Imported here so that loading the config does not pull in every SDK.
    if isinstance(spec, EmbeddedSpec):
        from router.embedded_model import default_model_path
        from router.providers.embedded import EmbeddedProvider

        try:
            path = default_model_path(data_dir) if spec.model_path == "auto" else Path(spec.model_path)
        except ConfigError as exc:
            # The embedded model is a last resort: without it the bot still runs on the other targets.
            log.warning("provider %s left out: %s", name, exc)
            return None
        return EmbeddedProvider(
            name, path, n_ctx=spec.n_ctx, n_threads=spec.n_threads, local=spec.local,
            timeouts=spec.timeouts.build(), max_tokens=spec.max_tokens, repeat_penalty=spec.repeat_penalty,
            temperature=spec.temperature,
        )
    if isinstance(spec, (WhisperSpec, PiperSpec, EspeakSpec)):
        return _speech_provider(name, spec, data_dir)
    problem = missing_setting(spec, env)
    if problem:
        log.warning("provider %s left out: %s", name, problem)
        return None
    if isinstance(spec, OllamaSpec):
        from router.providers.ollama import OllamaProvider

        return OllamaProvider(
            name, spec.base_url, local=spec.local, keep_alive=spec.keep_alive, num_ctx=spec.num_ctx,
            timeouts=spec.timeouts.build(),
        )
    from router.providers.openai_compat import OpenAICompatProvider

    # Keyless local servers (vLLM, llama.cpp) get "none": the SDK insists on some key.
    api_key = "none" if spec.api_key_env is None else env[spec.api_key_env]
    return OpenAICompatProvider(name, spec.base_url, api_key, local=spec.local, timeouts=spec.timeouts.build(),
                                capabilities=spec.capabilities(), default_capabilities=spec.default_capabilities(),
                                voice=spec.voice)


def _speech_provider(name: str, spec: WhisperSpec | PiperSpec | EspeakSpec, data_dir: Path) -> Provider:
    """An in-process speech provider; its model or voice is found (and checked) on first use, not here."""
    if isinstance(spec, WhisperSpec):
        from router.providers.whisper import WhisperProvider

        return WhisperProvider(name, data_dir, local=spec.local, max_concurrency=spec.max_concurrency,
                               threads=spec.threads, timeouts=spec.timeouts.build())
    if isinstance(spec, PiperSpec):
        from router.providers.piper_tts import PiperProvider

        return PiperProvider(name, local=spec.local, voices=spec.voices, timeouts=spec.timeouts.build())
    from router.providers.espeak_tts import EspeakProvider

    return EspeakProvider(name, local=spec.local, binary=spec.binary, voices=spec.voices, rate=spec.rate,
                          timeouts=spec.timeouts.build())
