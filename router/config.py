"""Load config/router.yaml into typed settings and build a ModelRouter from them."""
from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import PrivateAttr, ValidationError

from router.breaker import CircuitBreakers
from router.core import ModelRouter
from router.errors import ConfigError
from router.provider import Provider
from router.quotas import Ledger, UsageGuard, utc_now
from router.rules import Rule, RuleSpec, from_routes, ordered
from router.specs import (
    BreakerSpec,
    EmbeddedSpec,
    OllamaSpec,
    OpenAISpec,
    ProviderSpec,
    QuotasSpec,
    Spec,
    Targets,
)
from router.types import Target

log = logging.getLogger(__name__)

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class RouterConfig(Spec):
    """The whole router.yaml."""

    providers: dict[str, ProviderSpec]
    profiles: dict[str, Targets] = {}  # named target lists that rules can `use`
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


def _key_parts(loc: tuple[int | str, ...], error_type: str) -> list[int | str]:
    parts = list(loc)
    # A discriminated union puts the tag into the location (providers.groq.openai.x); users never wrote it.
    if len(parts) >= 3 and parts[0] == "providers" and parts[2] in ("ollama", "openai", "embedded"):
        del parts[2]
    if error_type in ("union_tag_invalid", "union_tag_not_found"):
        parts.append("kind")
    return parts


def _dotted(parts: list[int | str] | tuple[int | str, ...]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def _key_path(loc: tuple[int | str, ...], error_type: str) -> str:
    return _dotted(_key_parts(loc, error_type))


def _message(error: Any) -> str:
    if error["type"] == "too_short" and error["loc"][:1] in (("routes",), ("profiles",)):
        return f"a {'route' if error['loc'][0] == 'routes' else 'profile'} needs at least one target"
    if error["type"] == "tuple_type" and tuple(error["loc"]) == ("rules",):
        return "must be a list of rules, each `- when: {...}` with `use: [...]`"
    if error["type"] == "extra_forbidden" and error["loc"][-2:-1] == ("when",):
        from router.rules import CONDITIONS

        return f"unknown condition {error['loc'][-1]!r} (known: {', '.join(CONDITIONS)})"
    return str(error["msg"]).removeprefix("Value error, ")


def _lines(node: yaml.Node | None) -> dict[tuple[str | int, ...], int]:
    """1-based line of every mapping key and list item, by key path (taken from the YAML node marks)."""
    out: dict[tuple[str | int, ...], int] = {}

    def walk(n: yaml.Node, path: tuple[str | int, ...]) -> None:
        if isinstance(n, yaml.MappingNode):
            for key, value in n.value:
                sub = (*path, str(key.value))
                out.setdefault(sub, key.start_mark.line + 1)
                walk(value, sub)
        elif isinstance(n, yaml.SequenceNode):
            for i, item in enumerate(n.value):
                out.setdefault((*path, i), item.start_mark.line + 1)
                walk(item, (*path, i))

    if node is not None:
        walk(node, ())
    return out


def _line_of(lines: Mapping[tuple[str | int, ...], int], parts: list[int | str] | tuple[int | str, ...]) -> int | None:
    """The line of the longest known prefix of `parts` (a scalar written where a list was expected, …)."""
    for n in range(len(parts), 0, -1):
        line = lines.get(tuple(parts[:n]))
        if line is not None:
            return line
    return None


def _at(
    path: Path, lines: Mapping[tuple[str | int, ...], int], parts: list[int | str] | tuple[int | str, ...], message: str
) -> str:
    """`file: key.path: message (line N)` for an error message."""
    line = _line_of(lines, parts)
    return f"{path}: {_dotted(parts)}: {message}" + (f" (line {line})" if line else "")


def load_router_config(path: Path, env: Mapping[str, str]) -> RouterConfig:
    """Read, interpolate and validate router.yaml; every problem raises ConfigError naming file, key and line."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        raw = yaml.safe_load(text)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping with 'providers' and 'rules' (or 'routes')")
    lines = _lines(node)
    try:
        config = RouterConfig.model_validate(interpolate(raw, env))
    except ValidationError as exc:
        errors = [(_key_parts(e["loc"], e["type"]), _message(e)) for e in exc.errors()]
        raise ConfigError("\n".join(_at(path, lines, parts, msg) for parts, msg in errors)) from None
    config._lines = lines
    known = ", ".join(sorted(config.providers)) or "none"

    def check(targets: tuple[Target, ...], *where: str | int) -> None:
        for i, target in enumerate(targets):
            if target.provider not in config.providers:
                message = f"{target} names unknown provider {target.provider!r} (defined: {known})"
                raise ConfigError(_at(path, lines, (*where, i), message))

    for name, targets in config.profiles.items():
        check(targets, "profiles", name)
    for i, rule in enumerate(config.rules):
        if isinstance(rule.use, str):
            if rule.use not in config.profiles:
                defined = ", ".join(sorted(config.profiles)) or "none"
                message = f"no profile named {rule.use!r} (defined: {defined})"
                raise ConfigError(_at(path, lines, ("rules", i, "use"), message))
        else:
            check(rule.use, "rules", i, "use")
    for task, targets in config.routes.items():
        check(targets, "routes", task)
    if not any(not r.when.model_dump(exclude_none=True) for r in config.rules) and "chat" not in config.routes:
        raise ConfigError(_at(
            path, lines, ("rules",), "no catch-all rule: add a last rule without conditions, e.g."
            " `- use: [ollama:qwen3:8b]`, so that every request has targets",
        ))
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
    rules = []
    for rule in config.compiled_rules():
        kept = tuple(t for t in rule.targets if t.provider in providers)
        if not kept:
            log.warning("%s has no usable target left; its requests will fail", rule.name)
        rules.append(dataclasses.replace(rule, targets=kept))
    breakers = CircuitBreakers((config.breaker or BreakerSpec()).build())
    return ModelRouter(providers, rules=rules, breakers=breakers, usage=usage_guard(config, ledger, now=now))


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
    if isinstance(spec, EmbeddedSpec):
        return None
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
        )
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
                                capabilities=spec.capabilities())
