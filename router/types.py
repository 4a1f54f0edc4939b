"""Small frozen dataclasses at the router's seams."""
from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

Role = Literal["system", "user", "assistant", "tool"]
TEXT_ONLY = frozenset({"completion"})  # capability names as Ollama's /api/show reports them


@dataclass(frozen=True, slots=True)
class Image:
    """An image ready for a model: encoded bytes (already validated and downscaled) and their MIME type."""

    data: bytes = field(repr=False)
    mime: str = "image/jpeg"
    width: int = 0
    height: int = 0

    def b64(self) -> str:
        """Base64 text, as Ollama's `messages[].images` takes it."""
        return base64.b64encode(self.data).decode("ascii")

    def data_uri(self) -> str:
        """A data: URI, as OpenAI-compatible `image_url` parts take it."""
        return f"data:{self.mime};base64,{self.b64()}"


@dataclass(frozen=True, slots=True)
class Tool:
    """A function the model may call: its name, what it does, and the JSON schema (type: object) of its arguments."""

    name: str
    description: str
    parameters: Mapping[str, object]


@dataclass(frozen=True, slots=True)
class ToolCall:
    """The model asks to call `name` with parsed JSON `arguments`; `id` pairs the tool's result with the call."""

    id: str
    name: str
    arguments: Mapping[str, object]


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One turn of a conversation as the model sees it.

    A user turn may carry images; an assistant turn may carry `tool_calls`; a "tool" turn carries one tool's
    result text as `content` and the id of the call it answers as `tool_call_id`.
    """

    role: Role
    content: str
    images: tuple[Image, ...] = ()
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str = ""


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """Everything a provider needs to produce one streamed answer."""

    messages: tuple[ChatMessage, ...]
    tools: tuple[Tool, ...] = ()  # functions the model may call; non-empty → only targets with capability "tools"
    temperature: float = 0.7
    max_tokens: int | None = None
    task: str = "chat"
    agent: str = ""
    local_only: bool = False
    # What routing rules look at besides task (= the rule's mode) and agent; see router.rules.
    chat: str = "private"  # private | group | supergroup
    role: str = "user"  # user | admin
    has_image: bool = False
    language: str = ""  # the user's language code (uk, en, …); "" = unknown
    needs: frozenset[str] = frozenset()  # capabilities a model must have besides vision (images) and tools (tools)
    # Who asked and where: usage rows and per-user / per-chat quotas are kept by these.
    user_id: int = 0
    chat_id: int = 0
    bot: str = ""
    # The persona's short prompt: targets marked `tiny` in router.yaml get it instead of the system message.
    tiny_system: str = ""
    speaker: str = ""  # who answers (the persona's name): a base model is prompted as a dialogue with it

    def for_tiny_model(self) -> ChatRequest:
        """This request as a tiny model gets it: `tiny_system` in place of the system messages, when there is one."""
        if not self.tiny_system:
            return self
        rest = tuple(m for m in self.messages if m.role != "system")
        return replace(self, messages=(ChatMessage("system", self.tiny_system), *rest), tiny_system="")


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts and timings of one model call."""

    tokens_in: int = 0
    tokens_out: int = 0
    latency_ms: float = 0.0
    first_token_ms: float | None = None
    audio_seconds: float = 0.0  # speech heard (stt) or spoken (tts): the usage table's daily seconds of audio


@dataclass(frozen=True, slots=True)
class EmbedRequest:
    """Texts to embed, and who asked (usage rows; local-only privacy)."""

    texts: tuple[str, ...]
    agent: str = ""
    local_only: bool = False
    user_id: int = 0
    chat_id: int = 0
    bot: str = ""
    task: str = "embed"  # the rule mode; the usage row says "embed" whatever it is


@dataclass(frozen=True, slots=True)
class Embeddings:
    """One vector per text, and which target made them."""

    vectors: tuple[tuple[float, ...], ...]
    provider: str
    model: str
    usage: Usage | None = None

    @property
    def dim(self) -> int:
        """Length of each vector (0 when there are none): what a vector collection is created with."""
        return len(self.vectors[0]) if self.vectors else 0


@dataclass(frozen=True, slots=True)
class Delta:
    """A piece of streamed text; the last one of a call carries usage.

    `tool_calls` holds complete calls only: providers assemble streamed fragments and emit them once whole.
    """

    text: str = ""
    usage: Usage | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    provider: str = ""
    model: str = ""
    queued: bool = False  # no text: every slot that may serve is busy, the answer waits for one (tell the user)


@dataclass(frozen=True, slots=True)
class Target:
    """One `provider:model` entry of a route, split at the first colon."""

    provider: str
    model: str

    @classmethod
    def parse(cls, spec: str) -> Target:
        provider, sep, model = spec.partition(":")
        if not sep or not provider or not model:
            raise ValueError(f"target {spec!r} must look like 'provider:model'")
        return cls(provider, model)

    def __str__(self) -> str:
        return f"{self.provider}:{self.model}"


@dataclass(frozen=True, slots=True)
class Attempt:
    """What happened when one target was tried."""

    target: Target
    error: str
    kinds: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Audio:
    """A recording as the user sent it (already probed): the file's bytes, its format and its length."""

    data: bytes = field(repr=False)
    format: str = "ogg"  # the upload's file extension an API infers the container from: ogg, mp3, m4a, wav, webm
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class TranscribeRequest:
    """Speech to turn into text, and who asked (usage rows, local-only privacy)."""

    audio: Audio
    language: str = ""  # a hint (the user's language); "" = the model detects it
    agent: str = ""
    local_only: bool = False
    user_id: int = 0
    chat_id: int = 0
    bot: str = ""
    chat: str = "private"
    task: str = "stt"  # the rule mode


@dataclass(frozen=True, slots=True)
class Transcript:
    """What was heard: text ("" = no speech), its language, and whether the model was unsure of it."""

    text: str
    language: str = ""
    uncertain: bool = False  # low confidence, or a language the model barely recognised: shown marked
    seconds: float = 0.0  # length of the audio heard
    provider: str = ""
    model: str = ""
    usage: Usage | None = None


@dataclass(frozen=True, slots=True)
class SpeechRequest:
    """Text to speak in `language`, and who asked."""

    text: str
    language: str = "uk"
    agent: str = ""
    local_only: bool = False
    user_id: int = 0
    chat_id: int = 0
    bot: str = ""
    chat: str = "private"
    task: str = "tts"


@dataclass(frozen=True, slots=True)
class Speech:
    """A spoken answer: OGG/Opus bytes (what sendVoice takes) and their length."""

    data: bytes = field(repr=False)
    seconds: float = 0.0
    provider: str = ""
    model: str = ""
    usage: Usage | None = None
