"""Load config/router.yaml into typed settings and build a ModelRouter from them."""
from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from router.breaker import BreakerPolicy, CircuitBreakers
from router.core import ModelRouter
from router.errors import ConfigError
from router.provider import Provider
from router.timeouts import Timeouts
from router.types import Target

log = logging.getLogger(__name__)

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TimeoutsSpec(_Model):
    """Seconds; see router.timeouts.Timeouts."""

    connect: float = Field(3.0, gt=0)
    first_token: float = Field(60.0, gt=0)
    total: float = Field(300.0, gt=0)

    def build(self) -> Timeouts:
        return Timeouts(self.connect, self.first_token, self.total)


class OllamaSpec(_Model):
    """An Ollama server."""

    kind: Literal["ollama"]
    base_url: str
    local: bool = True
    keep_alive: str | float = "30m"
    num_ctx: int = Field(8192, gt=0)
    timeouts: TimeoutsSpec = TimeoutsSpec()


class OpenAISpec(_Model):
    """Any OpenAI-compatible server; the key is read from the env var named by `api_key_env`."""

    kind: Literal["openai"]
    base_url: str
    api_key_env: str | None = None
    local: bool = False
    timeouts: TimeoutsSpec = TimeoutsSpec()


class EmbeddedSpec(_Model):
    """llama.cpp in-process; `model_path: auto` uses the packaged Gemma 3 270M."""

    kind: Literal["embedded"]
    model_path: str = "auto"
    local: bool = True
    n_ctx: int = Field(2048, gt=0)
    n_threads: int = Field(2, gt=0)
    max_tokens: int = Field(512, gt=0)
    repeat_penalty: float = Field(1.2, ge=1.0, le=2.0)
    timeouts: TimeoutsSpec = TimeoutsSpec()


class BreakerSpec(_Model):
    """The per-target circuit breaker; see router.breaker.BreakerPolicy (failures: 0 = off)."""

    failures: int = Field(3, ge=0)
    cooldown: float = Field(30.0, gt=0)
    max_cooldown: float = Field(600.0, gt=0)
    factor: float = Field(2.0, ge=1)

    @field_validator("max_cooldown")
    @classmethod
    def _not_below_cooldown(cls, value: float, info: ValidationInfo) -> float:
        cooldown = info.data.get("cooldown")
        if cooldown is not None and value < cooldown:
            raise ValueError(f"must be at least cooldown ({cooldown:g})")
        return value

    def build(self) -> BreakerPolicy:
        return BreakerPolicy(self.failures, self.cooldown, self.max_cooldown, self.factor)


ProviderSpec = Annotated[Union[OllamaSpec, OpenAISpec, EmbeddedSpec], Field(discriminator="kind")]


def _target(value: Any) -> Target:
    if isinstance(value, Target):
        return value
    if not isinstance(value, str):
        raise ValueError("a target is a string like 'provider:model'")
    return Target.parse(value)


class RouterConfig(_Model):
    """The whole router.yaml."""

    providers: dict[str, ProviderSpec]
    routes: dict[str, Annotated[tuple[Annotated[Target, BeforeValidator(_target)], ...], Field(min_length=1)]]
    breaker: BreakerSpec | None = None  # absent or empty: the defaults


def interpolate(value: Any, env: Mapping[str, str]) -> Any:
    """Replace `${NAME}` / `${NAME:-default}` in every string; unset names become '' or the default."""
    if isinstance(value, str):
        return _VAR.sub(lambda m: env.get(m.group(1)) or (m.group(2) or ""), value)
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    return value


def _key_path(loc: tuple[int | str, ...], error_type: str) -> str:
    parts = list(loc)
    # A discriminated union puts the tag into the location (providers.groq.openai.x); users never wrote it.
    if len(parts) >= 3 and parts[0] == "providers" and parts[2] in ("ollama", "openai", "embedded"):
        del parts[2]
    if error_type in ("union_tag_invalid", "union_tag_not_found"):
        parts.append("kind")
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def _message(error: Any) -> str:
    if error["type"] == "too_short" and error["loc"][:1] == ("routes",):
        return "a route needs at least one target"
    return str(error["msg"]).removeprefix("Value error, ")


def load_router_config(path: Path, env: Mapping[str, str]) -> RouterConfig:
    """Read, interpolate and validate router.yaml; every problem raises ConfigError naming file and key."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping with 'providers' and 'routes'")
    try:
        config = RouterConfig.model_validate(interpolate(raw, env))
    except ValidationError as exc:
        lines = [f"{path}: {_key_path(e['loc'], e['type'])}: {_message(e)}" for e in exc.errors()]
        raise ConfigError("\n".join(lines)) from None
    for task, targets in config.routes.items():
        for i, target in enumerate(targets):
            if target.provider not in config.providers:
                known = ", ".join(sorted(config.providers)) or "none"
                raise ConfigError(
                    f"{path}: routes.{task}[{i}]: {target} names unknown provider {target.provider!r}"
                    f" (defined: {known})"
                )
    return config


def build_router(config: RouterConfig, env: Mapping[str, str], *, data_dir: Path) -> ModelRouter:
    """Create provider instances; providers missing a key or URL are left out with a warning."""
    providers: dict[str, Provider] = {}
    for name, spec in config.providers.items():
        provider = _build_provider(name, spec, env, data_dir)
        if provider is not None:
            providers[name] = provider
    routes: dict[str, tuple[Target, ...]] = {}
    for task, targets in config.routes.items():
        kept = tuple(t for t in targets if t.provider in providers)
        if not kept:
            log.warning("route %r has no usable target left; its requests will fail", task)
        routes[task] = kept
    breakers = CircuitBreakers((config.breaker or BreakerSpec()).build())
    return ModelRouter(providers, routes, breakers=breakers)


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
    if not spec.base_url:
        log.warning("provider %s left out: its base_url is empty (set the variable it refers to)", name)
        return None
    if isinstance(spec, OllamaSpec):
        from router.providers.ollama import OllamaProvider

        return OllamaProvider(
            name, spec.base_url, local=spec.local, keep_alive=spec.keep_alive, num_ctx=spec.num_ctx,
            timeouts=spec.timeouts.build(),
        )
    from router.providers.openai_compat import OpenAICompatProvider

    if spec.api_key_env is None:
        api_key = "none"  # keyless local servers (vLLM, llama.cpp); the SDK insists on some key
    else:
        api_key = env.get(spec.api_key_env, "")
        if not api_key:
            log.warning("provider %s left out: %s is not set", name, spec.api_key_env)
            return None
    return OpenAICompatProvider(name, spec.base_url, api_key, local=spec.local, timeouts=spec.timeouts.build())
