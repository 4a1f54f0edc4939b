"""`python -m router explain …` shows which rule routes a request, which pool member would serve and each limited
provider's slots (router/explain.py); `python -m router check` probes the providers.

    python -m router explain --agent helion --mode chat --chat private [--language uk] [--length 120]
                             [--has-image] [--role admin] [--local-only] [--config config/router.yaml]
    python -m router check [--config config/router.yaml]

Exit codes: 0 fine, 1 `check` found a target that cannot answer, 2 the configuration is wrong.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from base import ConfigError
from router.conditions import CHATS, MODES, ROLES, RouteContext
from router.config import RouterConfig, load_router_config
from router.explain import slot_lines, target_lines
from router.explain_now import members, models_by_provider, read_now, unavailable
from router.rules import NoRuleMatched, match
from router.specs import EmbeddedSpec, EspeakSpec, OllamaSpec, OpenAISpec, PiperSpec, WhisperSpec

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)
PROBE_TIMEOUT = 5.0  # seconds per HTTP call of `check`
CONNECT_TIMEOUT = 2.0


def read_env(env_file: Path = Path(".env")) -> dict[str, str]:
    """The variables `${VAR}` in router.yaml may use.

    This CLI is a composition root (like `python -m bot`), so it is the place that may read the process
    environment and `.env`; the router package itself only ever gets an env mapping passed in.
    Process variables win over `.env`, as they do for the bot's settings.
    """
    from dotenv import dotenv_values

    values = {k: v for k, v in dotenv_values(env_file).items() if v is not None} if env_file.is_file() else {}
    return {**values, **os.environ}


# -- explain -----------------------------------------------------------------------------------------


def explain(config: RouterConfig, env: Mapping[str, str], context: RouteContext, *, local_only: bool = False) -> int:
    rules = config.compiled_rules()
    try:
        rule = match(rules, context)
    except NoRuleMatched:  # load_router_config insists on a catch-all, so this is only a safety net
        print(f"no rule matches {context}")
        return 1
    print(f"request: {_context_line(context)}" + (" local_only=true" if local_only else ""))
    print(f"matched: {rule.describe()}" + (f" → profile {rule.profile}" if rule.profile else ""))
    print("targets, in the order they are tried:")
    now = read_now(config, env, rule.targets)  # a fresh process: every circuit closed, no call in flight
    for line in target_lines(rule.targets, config.pools, now, context.mode, local_only):
        print(line)
    providers = list(dict.fromkeys(t.provider for t in members(rule.targets, config)))
    slots = slot_lines(providers, now, datetime.now(UTC))
    if slots:
        print("slots (a request waits up to queue_timeout for one, then the next target is tried; "
              "in flight: this process's own):")
        for line in slots:
            print(line)
    return 0


def _context_line(ctx: RouteContext) -> str:
    parts = [f"agent={ctx.agent or '-'}", f"mode={ctx.mode}", f"chat={ctx.chat}", f"role={ctx.role}",
             f"has_image={str(ctx.has_image).lower()}", f"language={ctx.language or '-'}", f"length={ctx.length}"]
    return " ".join(parts)


# -- check -------------------------------------------------------------------------------------------


def check(config: RouterConfig, env: Mapping[str, str]) -> int:
    import httpx

    rows: list[tuple[str, str, str, str]] = []
    failed = False
    missing = unavailable(config, env)
    timeout = httpx.Timeout(PROBE_TIMEOUT, connect=CONNECT_TIMEOUT)
    with httpx.Client(timeout=timeout, follow_redirects=True) as client:
        for name, models in models_by_provider(config).items():
            spec = config.providers[name]
            models = models or ["-"]
            if name in missing:
                rows += [(name, m, "no", f"left out: {missing[name]}") for m in models]
                failed = True
            elif isinstance(spec, EmbeddedSpec):
                rows += [(name, m, "yes", "in-process (completion)") for m in models]
            elif isinstance(spec, (WhisperSpec, PiperSpec, EspeakSpec)):  # checked on first use, not probed
                what = "transcription" if isinstance(spec, WhisperSpec) else "speech"
                rows += [(name, m, "yes", f"in-process ({what}, loaded on first use)") for m in models]
            else:
                probed = (_probe_ollama(client, spec, models) if isinstance(spec, OllamaSpec)
                          else _probe_openai(client, spec, env, models))
                for model, ok, detail in probed:
                    rows.append((name, model, "yes" if ok is not None else "no", detail))
                    failed = failed or not ok
    _table(("provider", "model", "reachable", "capabilities / error"), rows)
    return 1 if failed else 0


Probed = list[tuple[str, bool | None, str]]  # (model, ok, detail) per model; ok None = the server did not answer


def _probe_ollama(client: httpx.Client, spec: OllamaSpec, models: list[str]) -> Probed:
    """Is each model pulled, and what can it do (/api/tags, /api/show)."""
    base = spec.base_url.rstrip("/")
    try:
        tags = client.get(f"{base}/api/tags")
        tags.raise_for_status()
        listed = tags.json().get("models", [])
        pulled = {m.get("name") for m in listed} | {m.get("model") for m in listed}
    except Exception as exc:  # noqa: BLE001 - any failure is a row of the report, never a traceback
        return [(m, None, _why(exc)) for m in models]
    out: Probed = []
    for model in models:
        if model != "-" and model not in pulled and f"{model}:latest" not in pulled:
            out.append((model, False, f"not pulled (ollama pull {model})"))
            continue
        if model == "-":
            out.append((model, True, f"{len(pulled)} model(s) pulled"))
            continue
        try:
            show = client.post(f"{base}/api/show", json={"model": model})
            show.raise_for_status()
            caps = show.json().get("capabilities") or []
            out.append((model, True, ", ".join(caps) or "(none reported)"))
        except Exception as exc:  # noqa: BLE001 - any failure is a row of the report, never a traceback
            out.append((model, False, f"/api/show: {_why(exc)}"))
    return out


def _probe_openai(client: httpx.Client, spec: OpenAISpec, env: Mapping[str, str], models: list[str]) -> Probed:
    """Does /models list each model (a model not listed may still answer)."""
    base = spec.base_url.rstrip("/")
    headers = {"Authorization": f"Bearer {env[spec.api_key_env]}"} if spec.api_key_env else {}
    try:
        resp = client.get(f"{base}/models", headers=headers)
        resp.raise_for_status()
        listed = {str(m.get("id", "")) for m in resp.json().get("data", [])}
    except Exception as exc:  # noqa: BLE001 - any failure is a row of the report, never a traceback
        return [(m, None, _why(exc)) for m in models]
    out: Probed = []
    for model in models:
        if model == "-":
            out.append((model, True, f"{len(listed)} model(s) listed"))
        elif model in listed or f"models/{model}" in listed:
            out.append((model, True, "listed by /models"))
        else:
            # Some servers (llama.cpp, proxies) answer for models they do not list: not a failure.
            out.append((model, True, "reachable, model not listed by /models"))
    return out


def _why(exc: Exception) -> str:
    import httpx

    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code}"
    if isinstance(exc, httpx.TimeoutException):
        return f"timeout ({type(exc).__name__})"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect: {exc}"
    return f"{type(exc).__name__}: {exc}"


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
    widths = [max(len(str(r[i])) for r in (header, *rows)) for i in range(len(header))]
    for row in (header, tuple("-" * w for w in widths), *rows):
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


# -- command line ------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m router", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    default_config = os.environ.get("ROUTER_FILE") or "config/router.yaml"
    ex = sub.add_parser("explain", help="which rule and targets a request would get")
    ex.add_argument("--config", type=Path, default=Path(default_config))
    ex.add_argument("--agent", default="")
    ex.add_argument("--mode", default="chat", help=f"one of {', '.join(MODES)} (or a routes: task name)")
    ex.add_argument("--chat", default="private", choices=(*CHATS, "supergroup"))
    ex.add_argument("--role", default="user", choices=ROLES)
    ex.add_argument("--language", default="")
    ex.add_argument("--length", type=int, default=0, help="characters of the message")
    ex.add_argument("--has-image", action="store_true")
    ex.add_argument("--local-only", action="store_true", help="a local-only chat or agent: cloud targets skipped")
    ck = sub.add_parser("check", help="probe every provider and model the config names")
    ck.add_argument("--config", type=Path, default=Path(default_config))
    args = parser.parse_args(argv)

    env = read_env()
    try:
        config = load_router_config(args.config, env)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.command == "explain":
        context = RouteContext(agent=args.agent, mode=args.mode, chat=args.chat, role=args.role,
                               has_image=args.has_image, language=args.language, length=args.length)
        return explain(config, env, context, local_only=args.local_only)
    return check(config, env)


if __name__ == "__main__":
    sys.exit(main())
