"""The typed shape of router.yaml's sections: providers (with prices, quotas and model capabilities),
the circuit breaker and the per-user / per-group daily quotas."""
from __future__ import annotations

from typing import Annotated, Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator

from router.breaker import BreakerPolicy
from router.capacity import SlotPolicy
from router.quotas import DailyQuota, Price, ProviderLimits
from router.timeouts import Timeouts
from router.types import TEXT_ONLY, Target

Capability = Literal["completion", "vision", "tools", "embedding", "thinking", "transcription", "speech"]  # Ollama's
# names, and for speech models what `python -m router` and the speech routes look for
CAPABILITIES: tuple[str, ...] = get_args(Capability)
TOOLS = frozenset({"tools"})


class Spec(BaseModel):
    """Base of every section: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class TimeoutsSpec(Spec):
    """Seconds; see router.timeouts.Timeouts."""

    connect: float = Field(3.0, gt=0)
    first_token: float = Field(60.0, gt=0)
    total: float = Field(300.0, gt=0)

    def build(self) -> Timeouts:
        return Timeouts(self.connect, self.first_token, self.total)


class PriceSpec(Spec):
    """USD per one million tokens."""

    input: float = Field(0.0, ge=0)
    output: float = Field(0.0, ge=0)

    def build(self) -> Price:
        return Price(self.input, self.output)


class ModelSpec(Spec):
    """What one model of a provider supports and costs (for APIs that cannot be asked)."""

    capabilities: tuple[Capability, ...] = ("completion",)
    tools: bool = False  # native tool calls (`tools` / `tool_calls`): the same as listing `tools` in capabilities
    price: PriceSpec | None = None
    tiny: bool = False  # a small model (about 1B or less): gets the persona's short `embedded_prompt`

    def capability_set(self, *, tools: bool = False) -> frozenset[str]:
        """What the model supports: its list, text completion, and tools when it or its provider says so."""
        return frozenset(self.capabilities) | TEXT_ONLY | (TOOLS if tools or self.tools else frozenset())


class _ProviderSpec(Spec):
    """What every provider kind shares: price, limits, per-model facts."""

    price: PriceSpec = PriceSpec()
    daily_tokens: int | None = Field(None, gt=0)  # tokens in + out per day (quota time zone); absent = no limit
    rpm: int | None = Field(None, gt=0)  # requests per minute
    models: dict[str, ModelSpec] = {}
    tiny: bool = False  # every model here is small: requests carry the persona's short prompt instead
    # Capacity (router/capacity.py): requests at once (OLLAMA_NUM_PARALLEL; unset: 2 for a local Ollama unless it
    # says otherwise, unlimited elsewhere), seconds one waits for a slot before its rule's next target is tried,
    # how many may wait, how long one with nowhere else to go waits, and each mode's share of the slots.
    max_concurrency: int | None = Field(None, gt=0)
    queue_timeout: float = Field(0.5, ge=0)
    max_queue: int | None = Field(None, ge=0)
    max_wait: float = Field(120.0, gt=0)
    shares: dict[str, Annotated[float, Field(gt=0, le=1)]] = {}

    def slot_policy(self, default: int | None = None) -> SlotPolicy | None:
        """The provider's slots, or None when it is not limited (no max_concurrency and no `default`)."""
        size = self.max_concurrency or default
        if size is None:
            return None
        return SlotPolicy(size, self.queue_timeout, self.max_queue, self.max_wait, dict(self.shares),
                          origin="router.yaml" if self.max_concurrency else "default")

    def tiny_targets(self, name: str) -> set[str]:
        """`name` when every model of this provider is tiny, else its tiny models as `name:model`."""
        return {name} if self.tiny else {f"{name}:{model}" for model, m in self.models.items() if m.tiny}

    def limits(self) -> ProviderLimits:
        prices = {name: m.price.build() for name, m in self.models.items() if m.price is not None}
        return ProviderLimits(self.daily_tokens, self.rpm, self.price.build(), prices)

    def capabilities(self) -> dict[str, frozenset[str]]:
        return {name: m.capability_set() for name, m in self.models.items()}


class OllamaSpec(_ProviderSpec):
    """An Ollama server (capabilities come from its /api/show)."""

    kind: Literal["ollama"]
    base_url: str
    local: bool = True
    keep_alive: str | float = "30m"
    num_ctx: int = Field(8192, gt=0)
    timeouts: TimeoutsSpec = TimeoutsSpec()


class OpenAISpec(_ProviderSpec):
    """Any OpenAI-compatible server; the key is read from the env var named by `api_key_env`."""

    kind: Literal["openai"]
    base_url: str
    api_key_env: str | None = None
    local: bool = False
    tools: bool = False  # every model here takes native tool calls (Ollama's models say so in /api/show instead)
    voice: str = Field("alloy", min_length=1)  # what its `speech` models speak with (/audio/speech `voice`)
    timeouts: TimeoutsSpec = TimeoutsSpec()

    def capabilities(self) -> dict[str, frozenset[str]]:
        return {name: m.capability_set(tools=self.tools) for name, m in self.models.items()}

    def default_capabilities(self) -> frozenset[str]:
        """What a model not listed under `models` supports: text, and tools when the provider says so."""
        return TEXT_ONLY | TOOLS if self.tools else TEXT_ONLY


class EmbeddedSpec(_ProviderSpec):
    """llama.cpp in-process; `model_path: auto` uses the packaged Gemma 3 270M."""

    kind: Literal["embedded"]
    model_path: str = "auto"
    local: bool = True
    n_ctx: int = Field(2048, gt=0)
    n_threads: int = Field(2, gt=0)
    max_tokens: int = Field(512, gt=0)
    repeat_penalty: float = Field(1.2, ge=1.0, le=2.0)
    temperature: float | None = Field(None, ge=0, le=2)  # set: instead of the persona's temperature
    timeouts: TimeoutsSpec = TimeoutsSpec()
    tiny: bool = True  # Gemma 3 270M repeats a long system prompt back instead of following it


class WhisperSpec(_ProviderSpec):
    """faster-whisper in-process; a target's model is "base", "tiny.en" or a CTranslate2 model directory."""

    kind: Literal["whisper"]
    local: bool = True
    max_concurrency: int = Field(1, gt=0)  # transcriptions at a time; busy beyond it (a route may go on)
    threads: int = Field(2, gt=0)  # CPU threads per transcription
    timeouts: TimeoutsSpec = TimeoutsSpec()


class PiperSpec(_ProviderSpec):
    """Piper voices in-process: language code → voice .onnx path ("auto" = the packaged English joe)."""

    kind: Literal["piper"]
    voices: dict[str, str] = {"en": "auto"}
    local: bool = True
    timeouts: TimeoutsSpec = TimeoutsSpec()


class EspeakSpec(_ProviderSpec):
    """Debian's espeak-ng: language code → espeak-ng voice; other languages it lists are spoken too."""

    kind: Literal["espeak"]
    binary: str = "espeak-ng"
    voices: dict[str, str] = {"uk": "uk", "en": "en-us"}
    rate: int | None = Field(None, gt=0)  # words per minute
    local: bool = True
    timeouts: TimeoutsSpec = TimeoutsSpec()


class BreakerSpec(Spec):
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


ProviderSpec = Annotated[OllamaSpec | OpenAISpec | EmbeddedSpec | WhisperSpec | PiperSpec | EspeakSpec,
                         Field(discriminator="kind")]
SPEECH_KINDS = ("whisper", "piper", "espeak")  # in-process speech providers: no URL, no key


def _target(value: Any) -> Target:
    if isinstance(value, Target):
        return value
    if not isinstance(value, str):
        raise ValueError("a target is a string like 'provider:model'")
    return Target.parse(value)


Targets = Annotated[tuple[Annotated[Target, BeforeValidator(_target)], ...], Field(min_length=1)]




class DailyQuotaSpec(Spec):
    """Per day: tokens in + out, and answered requests; absent or 0 = unlimited."""

    tokens: int | None = Field(None, ge=0)
    requests: int | None = Field(None, ge=0)

    def build(self) -> DailyQuota:
        return DailyQuota(self.tokens or None, self.requests or None)


class QuotasSpec(Spec):
    """Default daily quotas per user and per group chat; admins override them per user/chat in the database."""

    timezone: str = "Europe/Kyiv"  # when the day (and every daily quota) resets
    user: DailyQuotaSpec = DailyQuotaSpec()
    group: DailyQuotaSpec = DailyQuotaSpec()

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Europe/Kyiv or UTC)") from None
        return value
