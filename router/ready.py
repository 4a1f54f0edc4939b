"""Which target would answer a request right now, and how to call it: a front end's "who answers" line."""
from __future__ import annotations

from typing import TYPE_CHECKING

from router.health import ping_one
from router.providers.embedded import EmbeddedProvider
from router.types import ChatRequest, Target

if TYPE_CHECKING:
    from router.core import ModelRouter


async def first_ready(router: ModelRouter, request: ChatRequest, timeout: float = 3.0) -> Target | None:
    """The first of the request's targets that is switched on, answers a ping and knows its model; None if none."""
    for target in router.targets_for(request):
        provider = router.providers.get(target.provider)
        if provider is None or router.switched_off(target) or (request.local_only and not provider.local):
            continue
        if (await ping_one(target.provider, provider, timeout)).healthy is False:
            continue
        if await provider.capabilities(target.model) is None:  # Ollama: the model is not pulled
            continue
        return target
    return None


def model_label(router: ModelRouter, target: Target) -> str:
    """How people know the target's model: the GGUF file of the embedded model, `provider:model` otherwise."""
    provider = router.providers.get(target.provider)
    if isinstance(provider, EmbeddedProvider):
        return provider.model_path.name.removesuffix(".gguf")
    return str(target)
