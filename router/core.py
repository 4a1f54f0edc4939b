"""ModelRouter: pick a request's targets by the routing rules, try them in order until one answers (or embeds)."""
from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Collection, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from typing import cast

from base import ConfigError
from base.metrics import metrics
from router.breaker import SKIP, Admission, CircuitBreakers
from router.calls import Books, Call
from router.capacity import Capacity, Slot
from router.conditions import RouteContext
from router.errors import (
    AllTargetsFailed,
    LocalOnlyUnavailable,
    MissingCapability,
    ProviderBusy,
    ProviderError,
    ProviderUnavailable,
    StreamCut,
)
from router.health import HealthResult, feed, ping_all
from router.loaded import learn_slots
from router.overrides import AgentRoute, Overrides, unique
from router.provider import Embedder, Provider
from router.quotas import UsageGuard
from router.retire import Retirement, close_all
from router.rules import NoRuleMatched, Rule, from_routes, match, ordered
from router.types import (
    ChatRequest,
    Delta,
    Embeddings,
    EmbedRequest,
    Speech,
    SpeechRequest,
    Target,
    TranscribeRequest,
    Transcript,
)

log = logging.getLogger(__name__)

DEFAULT_TASK = "chat"  # the route that also serves tasks without one (routes shorthand)
POOL = "pool"  # `pool:NAME` in a rule: the members of router.yaml's pool NAME, the least busy first


class ModelRouter:
    """Holds providers by name and routing rules (request → ordered targets); streams with fallback.

    `rules` (router.rules.Rule) are tried by priority; `routes` (task → targets) is the older shorthand,
    checked after every rule, its `chat` route serving tasks without a route of their own.
    `breakers` skip targets that keep failing; None gives the default policy, and
    `CircuitBreakers(BreakerPolicy(failures=0))` switches them off. `overrides` are an admin's changes:
    targets switched off and agent routes (rules above every other), kept across `replace_with`.
    """

    def __init__(
        self,
        providers: Mapping[str, Provider],
        routes: Mapping[str, Sequence[Target]] | None = None,
        *,
        rules: Sequence[Rule] = (),
        breakers: CircuitBreakers | None = None,
        usage: UsageGuard | None = None,
        tiny: Collection[str] = (),
        capacity: Capacity | None = None,
        pools: Mapping[str, Sequence[Target]] | None = None,
    ) -> None:
        self.usage = usage  # None: no usage rows and no quotas (tests, benchmarks, the console without a DB)
        self.breakers = breakers if breakers is not None else CircuitBreakers()
        self.overrides = Overrides()
        self.providers: dict[str, Provider] = dict(providers)
        self.capacity = capacity if capacity is not None else Capacity()  # no policies: nothing is ever full
        self.pools: dict[str, tuple[Target, ...]] = {name: tuple(ts) for name, ts in (pools or {}).items()}
        self.routes: dict[str, tuple[Target, ...]] = {task: tuple(ts) for task, ts in (routes or {}).items()}
        self._config_rules = ordered((*rules, *from_routes(self.routes)))
        for rule in self._config_rules:
            for target in rule.targets:
                if target.provider == POOL and target.model not in self.pools:
                    raise ConfigError(f"{rule.name or 'rule'}: {target} names unknown pool {target.model!r}")
                if target.provider != POOL and target.provider not in self.providers:
                    raise ConfigError(f"{rule.name or 'rule'}: {target} names unknown provider {target.provider!r}")
        if rules and not any(rule.catch_all for rule in self._config_rules):
            raise ConfigError("the rules need a catch-all rule (one with an empty `when`)")
        self.rules: tuple[Rule, ...] = self._config_rules
        self.retirement = Retirement()  # providers a reload replaced close once no call uses them
        self.tiny = frozenset(tiny)  # providers (`embedded`) or targets (`ollama:qwen3:0.6b`) marked tiny

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

    def known_targets(self) -> tuple[Target, ...]:
        """Every target router.yaml's rules name (pools as their members), in the order the rules are tried."""
        return unique(t for rule in self._config_rules for rank in self._ranks(rule.targets) for t in rank)

    def targets_of(self, provider: str) -> tuple[Target, ...]:
        """Every target of one provider that a rule (an admin's agent route included) may send to."""
        return unique(t for rule in self.rules for rank in self._ranks(rule.targets) for t in rank
                      if t.provider == provider)

    def switch(self, spec: str, on: bool) -> None:
        """Switch a target (`provider:model`) or a whole provider on or off; KeyError to switch off an unknown one."""
        if on:
            self.overrides.disabled.discard(spec)
        elif spec.partition(":")[0] in self.providers:
            self.overrides.disabled.add(spec)
        else:
            raise KeyError(spec)

    def is_tiny(self, target: Target) -> bool:
        """True for a target router.yaml marks tiny: it gets the persona's short prompt."""
        return target.provider in self.tiny or str(target) in self.tiny

    def switched_off(self, target: Target) -> bool:
        """True when an admin switched the target or its provider off."""
        return self.overrides.off(target) is not None

    def set_agent_route(self, agent: str, targets: Sequence[Target], *, task: str = "chat") -> None:
        """Send the agent's `task` requests to `targets` before any rule applies; no targets = back to the rules."""
        unknown = [str(t) for t in targets if t.provider not in self.providers]
        if unknown:
            raise KeyError(", ".join(unknown))
        if targets:
            self.overrides.routes[agent] = AgentRoute(agent, tuple(targets), task)
        else:
            self.overrides.routes.pop(agent, None)
        self.rules = ordered((*self.overrides.rules(), *self._config_rules))

    async def health(self, timeout: float = 5.0) -> dict[str, HealthResult]:
        """Ping every provider at once; a failure counts against its targets' circuits, a pass makes open ones due.
        A local server whose slots router.yaml leaves unset is then asked what it has loaded (router.loaded)."""
        results = await ping_all(self.providers, timeout)
        for name, result in results.items():
            feed(self.breakers, result, self.targets_of(name))
            if result.healthy is False:
                log.info("health check: %s failed: %s", name, result.detail)
        up = {name for name, result in results.items() if result.healthy}
        await learn_slots(self.providers, self.capacity, lambda p: {t.model for t in self.targets_of(p)}, up=up,
                          timeout=timeout)
        return results

    def replace_with(self, other: ModelRouter, *, grace: float = 60.0) -> list[str]:
        """Take `other`'s providers, rules, breaker policy and usage limits in place, so holders of this router see
        a reloaded config; admin overrides stay while their providers exist (the dropped ones are returned).

        The old providers are closed once `grace` seconds have passed and no call uses them any more: an answer
        streaming from one is never cut by a reload.
        """
        old = [p for p in self.providers.values() if p not in other.providers.values()]
        self.providers, self.routes, self._config_rules = dict(other.providers), other.routes, other._config_rules
        self.breakers.adopt(other.breakers.policy)
        self.capacity.adopt(other.capacity.policies)  # calls in flight keep their slots
        self.pools = other.pools
        self.tiny = other.tiny
        if self.usage is not None and other.usage is not None:
            # In place: the dispatcher and the /usage view hold this very guard; its in-flight counts stay right.
            mine, theirs = self.usage, other.usage
            mine.limits, mine.user, mine.group, mine.tz = theirs.limits, theirs.user, theirs.group, theirs.tz
        else:
            self.usage = other.usage
        dropped = self.overrides.keep_known(self.providers)
        self.rules = ordered((*self.overrides.rules(), *self._config_rules))
        self.retirement.retire(old, grace)
        return dropped

    async def stream(
        self, request: ChatRequest, *, targets: Sequence[Target] | None = None
    ) -> AsyncIterator[Delta]:
        """Yield the first target's answer that starts; raise QuotaExceeded, AllTargetsFailed or StreamCut."""
        if self.usage is not None:
            await self.usage.check_subjects(request)  # a user over quota costs no model call at all
        chosen = tuple(targets) if targets is not None else self.targets_for(request)
        errors: list[ProviderError | Target] = []
        admitted = self._admitted(chosen, request.local_only, lambda t, p: self._unusable(t, p, request), errors,
                                  mode=request.task, who=request)
        async with aclosing(admitted):
            waiting = False
            async for item in admitted:
                if item is None:  # every slot is busy and nothing else may serve: the answer waits for one
                    waiting = True
                    yield Delta(queued=True)
                    continue
                if waiting:  # the wait is over: an empty delta says so (a "busy" notice may go)
                    waiting = False
                    yield Delta()
                target, provider, admission, queued = item
                call = Call(self._books(), request, target, admission, provider, queued=queued)
                try:
                    sent = request.for_tiny_model() if self.is_tiny(target) else request
                    async with aclosing(provider.stream(target.model, sent)) as deltas:
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

    def _books(self) -> Books:
        """Where a call starting now reports (the usage guard of this moment, even if a reload replaces it)."""
        return Books(self.breakers, self.retirement, self.usage)

    async def _admitted(
        self, targets: Sequence[Target], local_only: bool,
        unusable: Callable[[Target, Provider], Awaitable[ProviderError | None]], errors: list[ProviderError | Target],
        *, mode: str = DEFAULT_TASK, who: ChatRequest | None = None,
    ) -> AsyncGenerator[tuple[Target, Provider, Admission, float | None] | None, None]:
        """The targets that may be tried now, in order, each with a slot held until the caller asks for the next
        (or closes); why the others were skipped goes into `errors`. A pool's members are one rank: the least busy
        is tried, then (if it fails) the next least busy. A rank whose slots are full is waited for up to its
        `queue_timeout` while a later rank could serve, then skipped (overflow); when nothing later serves it is
        waited for again, up to `max_wait`, after a None is yielded so that the caller can tell the user it waits.
        Each target comes with the seconds its request waited for the slot (None: its provider counts no slots);
        an overflow is recorded as `who`'s usage row."""
        ranks = self._ranks(targets)
        if local_only:  # ranks of cloud targets only can never take it: waiting for a local one is not overflowing
            ranks = [r for r in ranks if any((p := self.providers.get(t.provider)) is None or p.local for t in r)]
        busy: list[list[Target]] = []
        later: list[list[Target]] = []  # where a busy request never overflows: tiny models, the busy server's others
        passed: list[Passed] = []  # ranks overflowed: recorded once a later rank takes the request
        for last_pass in (False, True):
            for i, listed in enumerate(busy + later if last_pass else ranks):
                if busy and not last_pass and self._no_overflow(listed, busy):
                    later.append(listed)
                    continue
                # Checked when reached (quotas cost a query): the first target that serves is all most requests see.
                rank = listed if last_pass and listed in busy else await self._members(listed, local_only, unusable,
                                                                                       errors)
                while rank:  # a pool member that failed (or is skipped) leaves the rank's others to try
                    patient = last_pass or (i == len(ranks) - 1 and not busy)  # nowhere else to go
                    slot = self.capacity.take(rank, mode)
                    if slot is None:
                        if patient:
                            yield None
                        slot, passing = await self._wait(rank, mode, patient, errors)
                        if slot is None:
                            if passing is not None:
                                busy.append(rank)
                                passed.append(passing)
                            break
                    rank = [t for t in rank if t != slot.target]
                    provider = self.providers.get(slot.target.provider)
                    try:
                        if provider is None:  # a reload dropped it while the request waited
                            errors.append(ProviderUnavailable("no such provider", provider=slot.target.provider,
                                                              model=slot.target.model))
                            continue
                        admission = self.breakers.admit(slot.target)
                        if admission == SKIP:
                            log.debug("skipping %s: circuit open", slot.target)
                            errors.append(slot.target)  # its error is built only if every target fails: stays cheap
                            continue
                        waited = await self._served(slot, passed, who)
                        yield slot.target, provider, admission, waited
                    finally:
                        self.capacity.release(slot)
            if not busy and not later:
                return

    def _no_overflow(self, rank: Sequence[Target], busy: Sequence[Sequence[Target]]) -> bool:
        """True for a rank a busy request must not overflow to: tiny models (a last resort for failures) and other
        models of a server whose slots are the busy ones (the same queue, and a weaker model)."""
        full = {t.provider for r in busy for t in r}
        return all(self.is_tiny(t) or t.provider in full for t in rank)

    async def _served(self, slot: Slot, passed: list[Passed], who: ChatRequest | None) -> float | None:
        """The seconds the request waited for this slot (None: no slots counted); the ranks it passed over are
        recorded as overflows now that another rank serves (not when the passed rank itself serves after all)."""
        limited = self.capacity.limits(slot.target.provider)
        back = [p for p in passed if slot.target in p.rank]  # the busy rank served after all: no overflow
        waited = slot.waited + sum(p.waited for p in back)
        if limited:
            metrics().queue_wait(slot.target.provider, waited)
        if not back:
            for p in passed:
                await self._overflowed(p, who)
        passed.clear()
        return waited if limited else None

    async def _overflowed(self, passing: Passed, who: ChatRequest | None) -> None:
        target = passing.rank[0]
        metrics().overflow(target.provider, passing.reason)
        if who is None or self.usage is None:
            return
        try:  # a usage row of outcome "busy" (/admin stats counts them); never worth failing the request over
            await self.usage.overflowed(who, target, reason=passing.reason, why=passing.why, waited=passing.waited)
        except Exception:
            log.warning("could not record an overflow from %s", target, exc_info=True)

    async def _members(self, rank: Sequence[Target], local_only: bool,
                       unusable: Callable[[Target, Provider], Awaitable[ProviderError | None]],
                       errors: list[ProviderError | Target]) -> list[Target]:
        """The rank's targets that may take the request now (provider, privacy, admin switch, capability, quota)."""
        usable = []
        for target in rank:
            provider = self.providers.get(target.provider)
            if provider is None:
                errors.append(ProviderUnavailable("no such provider", provider=target.provider, model=target.model))
                continue
            if local_only and not provider.local:
                log.debug("skipping %s: request is local-only", target)
                continue
            if (off := self.overrides.off(target)) is not None:
                log.debug("skipping %s: switched off by an admin", target)
                errors.append(off)
                continue
            if self.breakers.skips(target):  # before any wait: hung calls may hold a dead server's slots
                errors.append(target)  # its error is built only if every target fails: stays cheap
                continue
            why = await unusable(target, provider)
            if why is not None:
                log.info("skipping %s: %s", target, why)
                errors.append(why)
                continue
            usable.append(target)
        return usable

    async def _wait(self, rank: list[Target], mode: str, patient: bool,
                    errors: list[ProviderError | Target]) -> tuple[Slot | None, Passed | None]:
        """A slot of the rank within its queue_timeout (`patient`: max_wait); else None with why (in `errors` too),
        and for an impatient caller the rank it passes over."""
        policy = self.capacity.policy_of(rank)
        provider = rank[0].provider
        started = time.perf_counter()
        if not patient and self.capacity.queue_full(rank):
            why, reason = "its waiting line is full", "queue_full"
        else:
            limit = policy.max_wait if patient else policy.queue_timeout
            slot = await self.capacity.wait(rank, mode, limit)
            if slot is not None:
                return slot, None
            why, reason = f"every slot stayed busy for {limit:g} s", "busy"
        log.info("%s: %s; %s", ", ".join(map(str, rank)), why, "giving up" if patient else "trying the next target")
        errors.append(ProviderBusy(why, provider=provider, model=rank[0].model))
        if patient:
            metrics().overflow(provider, "gave_up")
            return None, None
        return None, Passed(rank, reason, why, time.perf_counter() - started)

    def _ranks(self, targets: Sequence[Target]) -> list[list[Target]]:
        """The targets as ranks: a pool (`pool:NAME`) is one rank of its members, any other target a rank alone."""
        return [list(self.pools[t.model]) if t.provider == POOL else [t] for t in targets]

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
            caps = await provider.capabilities(target.model)
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
        admitted = self._admitted(targets, request.local_only, self._cannot_embed, errors, mode=request.task, who=who)
        async with aclosing(admitted):
            async for item in admitted:
                if item is None:
                    continue
                target, provider, admission, queued = item
                call = Call(self._books(), who, target, admission, provider, queued=queued)
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
        embedder = isinstance(provider, Embedder)
        caps = await provider.capabilities(target.model) if embedder else None
        if caps is None or EMBEDDING not in caps:
            why = "has no known capability list" if embedder and caps is None else "lacks embedding"
            return MissingCapability(f"{target.model} {why}", provider=target.provider, model=target.model)
        return await self.usage.over_quota(target) if self.usage is not None else None

    async def transcribe(self, request: TranscribeRequest) -> Transcript:
        """Speech to text by the `stt` rules (router.speech.transcribe)."""
        from router.speech import transcribe

        return await transcribe(self, request)

    async def speak(self, request: SpeechRequest) -> Speech:
        """Text to speech by the `tts` rules (router.speech.speak)."""
        from router.speech import speak

        return await speak(self, request)

    async def aclose(self) -> None:
        """Close every provider (those a reload replaced too), even if one of them fails to close."""
        await self.retirement.aclose()
        await close_all(self.providers.items())


@dataclass(frozen=True, slots=True)
class Passed:
    """A rank a request passed over because its slots stayed busy: why, and how long it waited there."""

    rank: list[Target]
    reason: str  # busy | queue_full
    why: str
    waited: float


def _labelled(delta: Delta, target: Target) -> Delta:
    """Make sure a delta names where it came from."""
    if delta.provider and delta.model:
        return delta
    return dataclasses.replace(
        delta, provider=delta.provider or target.provider, model=delta.model or target.model
    )


def required_capabilities(request: ChatRequest) -> frozenset[str]:
    """What a model must support to take the request (Ollama's capability names): vision for images, tools for
    a request that offers tools."""
    needs = request.needs | _VISION if request.has_image else request.needs
    return needs | _TOOLS if request.tools else needs


_VISION = frozenset({"vision"})
_TOOLS = frozenset({"tools"})
EMBEDDING = "embedding"  # Ollama's capability name; API models list it under router.yaml's `models`


def _who(request: EmbedRequest) -> ChatRequest:
    """Who asked, in the shape UsageGuard records."""
    # Mode "embed" whatever rule mode routed it: the ledger keeps such rows out of user and chat quotas.
    return ChatRequest(messages=(), agent=request.agent, local_only=request.local_only, user_id=request.user_id,
                       chat_id=request.chat_id, bot=request.bot, task="embed")
