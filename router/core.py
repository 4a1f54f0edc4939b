"""ModelRouter: try a task's targets in order until one starts answering."""
from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import aclosing

from router.breaker import PROBE, SKIP, CircuitBreakers
from router.errors import AllTargetsFailed, ConfigError, ProviderError, ProviderUnavailable, StreamCut
from router.provider import Provider
from router.types import ChatRequest, Delta, Target

log = logging.getLogger(__name__)

DEFAULT_TASK = "chat"


class ModelRouter:
    """Holds providers by name and routes (task → ordered targets); streams with fallback.

    `breakers` skip targets that keep failing; None gives the default policy, and
    `CircuitBreakers(BreakerPolicy(failures=0))` switches them off.
    """

    def __init__(
        self,
        providers: Mapping[str, Provider],
        routes: Mapping[str, Sequence[Target]],
        *,
        breakers: CircuitBreakers | None = None,
    ) -> None:
        self.breakers = breakers if breakers is not None else CircuitBreakers()
        self.providers: dict[str, Provider] = dict(providers)
        self.routes: dict[str, tuple[Target, ...]] = {task: tuple(ts) for task, ts in routes.items()}
        for task, targets in self.routes.items():
            for target in targets:
                if target.provider not in self.providers:
                    raise ConfigError(f"route {task!r}: {target} names unknown provider {target.provider!r}")

    def targets(self, task: str) -> tuple[Target, ...]:
        """The ordered targets of `task`; tasks without a route of their own use the chat route."""
        if task in self.routes:
            return self.routes[task]
        return self.routes.get(DEFAULT_TASK, ())

    async def stream(
        self, request: ChatRequest, *, targets: Sequence[Target] | None = None
    ) -> AsyncIterator[Delta]:
        """Yield the first target's answer that starts; raise AllTargetsFailed or StreamCut."""
        chosen = tuple(targets) if targets is not None else self.targets(request.task)
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
