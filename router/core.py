"""ModelRouter: pick a request's targets by the routing rules, try them in order until one answers."""
from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import aclosing

from router.breaker import PROBE, SKIP, CircuitBreakers
from router.errors import AllTargetsFailed, ConfigError, ProviderError, ProviderUnavailable, StreamCut
from router.provider import Provider
from router.rules import NoRuleMatched, RouteContext, Rule, from_routes, match, ordered
from router.types import ChatRequest, Delta, Target

log = logging.getLogger(__name__)

DEFAULT_TASK = "chat"  # the route that also serves tasks without one (routes shorthand)


class ModelRouter:
    """Holds providers by name and routing rules (request → ordered targets); streams with fallback.

    `rules` (router.rules.Rule) are tried by priority; `routes` (task → targets) is the older shorthand,
    checked after every rule, its `chat` route serving tasks without a route of their own.
    `breakers` skip targets that keep failing; None gives the default policy, and
    `CircuitBreakers(BreakerPolicy(failures=0))` switches them off.
    """

    def __init__(
        self,
        providers: Mapping[str, Provider],
        routes: Mapping[str, Sequence[Target]] | None = None,
        *,
        rules: Sequence[Rule] = (),
        breakers: CircuitBreakers | None = None,
    ) -> None:
        self.breakers = breakers if breakers is not None else CircuitBreakers()
        self.providers: dict[str, Provider] = dict(providers)
        self.routes: dict[str, tuple[Target, ...]] = {task: tuple(ts) for task, ts in (routes or {}).items()}
        self.rules: tuple[Rule, ...] = ordered((*rules, *from_routes(self.routes)))
        for rule in self.rules:
            for target in rule.targets:
                if target.provider not in self.providers:
                    raise ConfigError(f"{rule.name or 'rule'}: {target} names unknown provider {target.provider!r}")
        if rules and not any(rule.catch_all for rule in self.rules):
            raise ConfigError("the rules need a catch-all rule (one with an empty `when`)")

    def rule_for(self, context: RouteContext) -> Rule | None:
        """The rule that decides the targets for `context`; None when no rule matches."""
        try:
            return match(self.rules, context)
        except NoRuleMatched:
            return None

    def targets_for(self, request: ChatRequest) -> tuple[Target, ...]:
        """The ordered targets of the first rule that matches the request's context."""
        rule = self.rule_for(RouteContext.of(request))
        return rule.targets if rule is not None else ()

    def targets(self, task: str) -> tuple[Target, ...]:
        """The ordered targets of `task` for a default context (private chat, plain user, no agent)."""
        rule = self.rule_for(RouteContext(mode=task))
        return rule.targets if rule is not None else ()

    async def stream(
        self, request: ChatRequest, *, targets: Sequence[Target] | None = None
    ) -> AsyncIterator[Delta]:
        """Yield the first target's answer that starts; raise AllTargetsFailed or StreamCut."""
        chosen = tuple(targets) if targets is not None else self.targets_for(request)
        errors: list[ProviderError | Target] = []  # a Target is one skipped for an open circuit
        for target in chosen:
            provider = self.providers.get(target.provider)
            if provider is None:
                missing = ProviderUnavailable("no such provider", provider=target.provider, model=target.model)
                errors.append(missing)
                continue
            if request.local_only and not provider.local:
                log.debug("skipping %s: request is local-only", target)
                continue
            admission = self.breakers.admit(target)
            if admission == SKIP:
                log.debug("skipping %s: circuit open", target)
                errors.append(target)  # its error is built only if every target fails: skipping stays cheap
                continue
            shown: list[str] = []
            settled = False
            try:
                async with aclosing(provider.stream(target.model, request)) as deltas:
                    async for delta in deltas:
                        if delta.text:
                            shown.append(delta.text)
                        yield _labelled(delta, target)
                settled = True
                self.breakers.succeeded(target, admission)
                return
            except StreamCut as exc:
                settled = True
                self.breakers.failed(target, admission, exc)
                raise
            except ProviderError as exc:
                settled = True
                self.breakers.failed(target, admission, exc)
                if shown:
                    # Text already reached the user; switching models mid-answer would garble it.
                    raise StreamCut(
                        f"{target}: {exc}", partial="".join(shown), provider=target.provider, model=target.model
                    ) from exc
                exc.provider, exc.model = exc.provider or target.provider, exc.model or target.model
                log.warning("%s failed before its first token (%s): %s; trying the next", target, exc.kind, exc)
                errors.append(exc)
            finally:
                if not settled and admission == PROBE:
                    # Cancelled by the caller (or an unexpected error): no verdict, but the probe slot is freed.
                    self.breakers.release(target, admission)
        failed = [self.breakers.open_error(e) if isinstance(e, Target) else e for e in errors]
        summary = "; ".join(f"{e.provider}:{e.model}: {e.kind}: {e}" for e in failed) or "no usable target"
        if request.local_only:
            summary += " (local-only request)"
        raise AllTargetsFailed(f"every target of {request.task!r} failed: {summary}", errors=failed)

    async def aclose(self) -> None:
        """Close every provider, even if one of them fails to close."""
        for name, provider in self.providers.items():
            try:
                await provider.aclose()
            except Exception:
                log.warning("closing provider %s failed", name, exc_info=True)


def _labelled(delta: Delta, target: Target) -> Delta:
    """Make sure a delta names where it came from."""
    if delta.provider and delta.model:
        return delta
    return dataclasses.replace(
        delta, provider=delta.provider or target.provider, model=delta.model or target.model
    )
