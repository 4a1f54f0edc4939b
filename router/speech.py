"""Speech routes: `stt` (speech → text) and `tts` (text → speech), tried like chat targets.

Rules pick the targets; local-only requests never leave the host; admin switches, circuit breakers and provider
quotas apply; every call is a usage row with the seconds of audio. Hybrid by load: a local transcriber whose slots
are all taken is passed over for the next target, and waited for only when no other target serves.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from contextlib import aclosing
from dataclasses import replace
from typing import TYPE_CHECKING, TypeVar, cast

from router.conditions import RouteContext
from router.errors import BadAudio, MissingCapability, ProviderBusy, ProviderError
from router.provider import SPEECH, TRANSCRIPTION, Provider, Synthesizer, Transcriber
from router.types import ChatRequest, Speech, SpeechRequest, Target, TranscribeRequest, Transcript

if TYPE_CHECKING:
    from router.calls import Call
    from router.core import ModelRouter

log = logging.getLogger(__name__)
Check = Callable[[Target, Provider], Awaitable[ProviderError | None]]
R = TypeVar("R", Transcript, Speech)


async def transcribe(router: ModelRouter, request: TranscribeRequest) -> Transcript:
    """The first transcript a target gives; BadAudio when the recording cannot be decoded, AllTargetsFailed
    (LocalOnlyUnavailable) when no target serves."""
    targets = _targets(router, request.task, request.agent, request.chat, request.language)
    who = _who(request.task, request)
    errors: list[ProviderError | Target] = []

    async def attempt(target: Target, provider: Provider, call: Call) -> Transcript:
        transcript = await cast(Transcriber, provider).transcribe(target.model, request)
        call.usage = transcript.usage
        return replace(transcript, provider=transcript.provider or target.provider,
                       model=transcript.model or target.model)

    found = await _first(router, targets, request.local_only, who, errors, attempt,
                         _usable(router, TRANSCRIPTION, busy_ok=False))
    # Busy by its own count (an in-process Whisper's slots); the router's slots were waited for already.
    busy = list(dict.fromkeys(Target(e.provider, e.model) for e in errors
                              if isinstance(e, ProviderBusy) and not router.capacity.limits(e.provider)))
    if found is None and busy:  # every other target failed: wait for a slot of the busy local ones, in order
        log.info("no other speech target served; waiting for %s", ", ".join(map(str, busy)))
        found = await _first(router, busy, request.local_only, who, errors, attempt,
                             _usable(router, TRANSCRIPTION, busy_ok=True))
    if found is None:
        raise router._none_answered(errors, request.task, request.local_only, "transcribed")
    return found


async def speak(router: ModelRouter, request: SpeechRequest) -> Speech:
    """The first speech a target gives for the request's language; AllTargetsFailed when none speaks it."""
    targets = _targets(router, request.task, request.agent, request.chat, request.language)
    who = _who(request.task, request)
    errors: list[ProviderError | Target] = []
    capable = _usable(router, SPEECH, busy_ok=True)

    async def attempt(target: Target, provider: Provider, call: Call) -> Speech:
        speech = await cast(Synthesizer, provider).speak(target.model, request)
        call.usage = speech.usage
        return replace(speech, provider=speech.provider or target.provider, model=speech.model or target.model)

    async def usable(target: Target, provider: Provider) -> ProviderError | None:
        if isinstance(provider, Synthesizer) and not provider.speaks(target.model, request.language):
            return MissingCapability(f"{target.model} does not speak {request.language!r}",
                                     provider=target.provider, model=target.model)
        return await capable(target, provider)

    found = await _first(router, targets, request.local_only, who, errors, attempt, usable)
    if found is None:
        raise router._none_answered(errors, request.task, request.local_only, "spoke")
    return found


async def _first(router: ModelRouter, targets: Sequence[Target], local_only: bool, who: ChatRequest,
                 errors: list[ProviderError | Target],
                 attempt: Callable[[Target, Provider, Call], Awaitable[R]], usable: Check) -> R | None:
    """The result of the first target that serves, in order; None (the reasons in `errors`) when none does."""
    from router.calls import Call

    admitted = router._admitted(targets, local_only, usable, errors, mode=who.task, who=who)
    async with aclosing(admitted):
        async for item in admitted:
            if item is None:
                continue
            target, provider, admission, queued = item
            call = Call(router._books(), who, target, admission, provider, queued=queued)
            try:
                result = await attempt(target, provider, call)
                call.outcome = "ok"
                return result
            except BadAudio:
                call.outcome = "bad_audio"  # the recording's fault, not the provider's: no breaker verdict
                raise
            except (MissingCapability, ProviderBusy) as exc:  # over an API's upload limit, or every local slot
                # stayed taken: nothing is wrong with the target, so no breaker verdict
                call.outcome = exc.kind
                exc.provider, exc.model = exc.provider or target.provider, exc.model or target.model
                errors.append(exc)
            except ProviderError as exc:
                call.failed(exc)
                exc.provider, exc.model = exc.provider or target.provider, exc.model or target.model
                log.warning("%s failed (%s): %s; trying the next", target, exc.kind, exc)
                errors.append(exc)
            finally:
                await call.close()
    return None


def _usable(router: ModelRouter, capability: str, *, busy_ok: bool) -> Check:
    """Why a target cannot take a speech request now: no such capability, busy (first pass), or its quota."""

    async def check(target: Target, provider: Provider) -> ProviderError | None:
        caps = await provider.capabilities(target.model)
        if caps is None or capability not in caps:
            return MissingCapability(f"{target.model} lacks {capability}", provider=target.provider,
                                     model=target.model)
        if not busy_ok and isinstance(provider, Transcriber) and provider.busy(target.model):
            return ProviderBusy(f"{target} has every slot taken", provider=target.provider, model=target.model)
        return await router.usage.over_quota(target) if router.usage is not None else None

    return check


def _targets(router: ModelRouter, mode: str, agent: str, chat: str, language: str) -> tuple[Target, ...]:
    rule = router.rule_for(RouteContext(mode=mode, agent=agent, chat=chat, language=language))
    return rule.targets if rule is not None else ()


def _who(task: str, request: TranscribeRequest | SpeechRequest) -> ChatRequest:
    """Who asked, in the shape UsageGuard records (mode stt / tts)."""
    return ChatRequest(messages=(), agent=request.agent, local_only=request.local_only, user_id=request.user_id,
                       chat_id=request.chat_id, bot=request.bot, task=task, chat=request.chat)
