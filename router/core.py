"""ModelRouter: pick a request's targets by the routing rules, try them in order until one answers (or embeds)."""
from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import aclosing
from typing import TYPE_CHECKING, cast

from router.breaker import PROBE, SKIP, CircuitBreakers
from router.errors import (
    AllTargetsFailed,
    ConfigError,
    LocalOnlyUnavailable,
    MissingCapability,
    ProviderError,
    ProviderUnavailable,
    StreamCut,
)
from router.provider import Embedder, Provider
from router.rules import NoRuleMatched, RouteContext, Rule, from_routes, match, ordered
from router.types import ChatRequest, Delta, EmbedRequest, Embeddings, Target, Usage

if TYPE_CHECKING:
    from router.quotas import UsageGuard

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
        usage: "UsageGuard | None" = None,
    ) -> None:
        self.usage = usage  # None: no usage rows and no quotas (tests, benchmarks, the console without a DB)
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
        """Yield the first target's answer that starts; raise QuotaExceeded, AllTargetsFailed or StreamCut."""
        if self.usage is not None:
            await self.usage.check_subjects(request)  # a user over quota costs no model call at all
        chosen = tuple(targets) if targets is not None else self.targets_for(request)
        errors: list[ProviderError | Target] = []
        admitted = self._admitted(chosen, request.local_only, lambda t, p: self._unusable(t, p, request), errors)
        async with aclosing(admitted):
            async for target, provider, admission in admitted:
                call = _Call(self, request, target, admission)
                try:
                    async with aclosing(provider.stream(target.model, request)) as deltas:
                        async for delta in deltas:
                            call.seen(delta)
                            yield _labelled(delta, target)
                    call.outcome = "ok"
                    return
                except ProviderError as exc:
                    call.failed(exc)
                    if isinstance(exc, StreamCut):
                        raise
                    if call.shown:
                        # Text already reached the user; switching models mid-answer would garble it.
                        raise StreamCut(f"{target}: {exc}", partial="".join(call.shown), provider=target.provider,
                                        model=target.model) from exc
                    exc.provider, exc.model = exc.provider or target.provider, exc.model or target.model
                    log.warning("%s failed before its first token (%s): %s; trying the next", target, exc.kind, exc)
                    errors.append(exc)
                finally:
                    await call.close()
        raise self._none_answered(errors, request.task, request.local_only, "answered")

    async def _admitted(self, targets: Sequence[Target], local_only: bool,
                        unusable: Callable[[Target, Provider], Awaitable[ProviderError | None]],
                        errors: list[ProviderError | Target]) -> AsyncIterator[tuple[Target, Provider, str]]:
        """The targets that may be tried now, in order; why the others were skipped goes into `errors`."""
        for target in targets:
            provider = self.providers.get(target.provider)
            if provider is None:
                errors.append(ProviderUnavailable("no such provider", provider=target.provider, model=target.model))
                continue
            if local_only and not provider.local:
                log.debug("skipping %s: request is local-only", target)
                continue
            why = await unusable(target, provider)
            if why is not None:
                log.info("skipping %s: %s", target, why)
                errors.append(why)
                continue
            admission = self.breakers.admit(target)
            if admission == SKIP:
                log.debug("skipping %s: circuit open", target)
                errors.append(target)  # its error is built only if every target fails: skipping stays cheap
                continue
            yield target, provider, admission

    def _none_answered(self, errors: list[ProviderError | Target], task: str, local_only: bool,
                       verb: str) -> AllTargetsFailed:
        """The error when no target served: every reason, and whether privacy was why."""
        failed = [self.breakers.open_error(e) if isinstance(e, Target) else e for e in errors]
        summary = "; ".join(f"{e.provider}:{e.model}: {e.kind}: {e}" for e in failed) or "no usable target"
        if local_only:
            return LocalOnlyUnavailable(f"local-only request: no local target of {task!r} {verb}: {summary}",
                                        errors=failed)
        return AllTargetsFailed(f"every target of {task!r} failed: {summary}", errors=failed)

    async def _unusable(self, target: Target, provider: Provider, request: ChatRequest) -> ProviderError | None:
        """Why a target cannot take this request before anything is sent: a capability or a quota."""
        needs = required_capabilities(request)
        if needs:
            known = getattr(provider, "capabilities", None)
            caps = await known(target.model) if known is not None else None
            if caps is None or not needs <= caps:
                missing = ", ".join(sorted(needs - (caps or frozenset())))
                return MissingCapability(f"{target.model} lacks {missing or 'a known capability list'}",
                                         provider=target.provider, model=target.model)
        return await self.usage.over_quota(target) if self.usage is not None else None

    async def embed(self, request: EmbedRequest, *, targets: Sequence[Target] | None = None) -> Embeddings:
        """Vectors from the first target that embeds; raise AllTargetsFailed (LocalOnlyUnavailable) when none does.

        No user or group quota is checked: embedding a shared document is not the user's chat. Pass `targets`
        to pin the model a vector collection was built with (vectors of two models do not mix).
        """
        if not request.texts:
            return Embeddings((), provider="", model="")
        if targets is None:
            rule = self.rule_for(RouteContext(mode=request.task, agent=request.agent))
            targets = rule.targets if rule is not None else ()
        who = _who(request)
        errors: list[ProviderError | Target] = []
        admitted = self._admitted(targets, request.local_only, self._cannot_embed, errors)
        async with aclosing(admitted):
            async for target, provider, admission in admitted:
                call = _Call(self, who, target, admission)
                try:
                    vectors, call.usage = await cast(Embedder, provider).embed(target.model, request.texts)
                    call.outcome = "ok"
                except ProviderError as exc:
                    call.failed(exc)
                    exc.provider, exc.model = exc.provider or target.provider, exc.model or target.model
                    log.warning("%s could not embed (%s): %s; trying the next", target, exc.kind, exc)
                    errors.append(exc)
                    continue
                finally:
                    await call.close()
                return Embeddings(tuple(tuple(v) for v in vectors), target.provider, target.model, call.usage)
        raise self._none_answered(errors, request.task, request.local_only, "embedded")

    async def _cannot_embed(self, target: Target, provider: Provider) -> ProviderError | None:
        """Why a target cannot embed before anything is sent: no embed method or capability, or a quota."""
        known = getattr(provider, "capabilities", None)
        embedder = isinstance(provider, Embedder)
        caps = await known(target.model) if embedder and known is not None else None
        if caps is None or EMBEDDING not in caps:
            why = "has no known capability list" if embedder and caps is None else "lacks embedding"
            return MissingCapability(f"{target.model} {why}", provider=target.provider, model=target.model)
        return await self.usage.over_quota(target) if self.usage is not None else None

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


def required_capabilities(request: ChatRequest) -> frozenset[str]:
    """What a model must support to take the request (Ollama's capability names)."""
    return request.needs | _VISION if request.has_image else request.needs


_VISION = frozenset({"vision"})
EMBEDDING = "embedding"  # Ollama's capability name; API models list it under router.yaml's `models`


def _who(request: EmbedRequest) -> ChatRequest:
    """Who asked, in the shape UsageGuard records."""
    # Mode "embed" whatever rule mode routed it: the ledger keeps such rows out of user and chat quotas.
    return ChatRequest(messages=(), agent=request.agent, local_only=request.local_only, user_id=request.user_id,
                       chat_id=request.chat_id, bot=request.bot, task="embed")


class _Call:
    """One attempt at one target: its text so far, and its verdict for the breaker and the usage table."""

    __slots__ = ("router", "request", "target", "admission", "shown", "usage", "outcome", "error", "started")

    def __init__(self, router: ModelRouter, request: ChatRequest, target: Target, admission: str) -> None:
        self.router, self.request, self.target, self.admission = router, request, target, admission
        self.shown: list[str] = []
        self.usage: Usage | None = None
        self.outcome = "cancelled"  # stays so if the caller stops reading early
        self.error: ProviderError | None = None
        self.started = time.perf_counter()
        if router.usage is not None:
            router.usage.started(target)

    def seen(self, delta: Delta) -> None:
        if delta.text:
            self.shown.append(delta.text)
        if delta.usage is not None:
            self.usage = delta.usage

    def failed(self, exc: ProviderError) -> None:
        self.error = exc
        self.outcome = "cut" if self.shown or isinstance(exc, StreamCut) else exc.kind

    async def close(self) -> None:
        """Tell the breaker and write the usage row."""
        breakers = self.router.breakers
        if self.outcome == "ok":
            breakers.succeeded(self.target, self.admission)
        elif self.error is not None:
            breakers.failed(self.target, self.admission, self.error)
        elif self.admission == PROBE:
            breakers.release(self.target, self.admission)  # cancelled: no verdict, but free the probe slot
        if self.router.usage is None:
            return
        usage = self.usage
        if usage is None and self.shown:  # a cut stream has no final counts: estimate what was produced
            usage = Usage(tokens_out=max(1, len("".join(self.shown)) // 3))
        await self.router.usage.finished(
            self.request, self.target, outcome=self.outcome, usage=usage,
            latency_ms=(time.perf_counter() - self.started) * 1000,
            error=str(self.error)[:500] if self.error is not None else None)
