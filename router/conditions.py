"""The routing conditions, each spelled once: the value router.yaml takes under `when:` and the test it makes.

Adding a condition is one line in WhenSpec (plus, if it looks at something new, a field of RouteContext);
parsing, validation, matching, `explain` and the "known conditions" of an error message all follow from it.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from router.types import ChatRequest

Mode = Literal["chat", "vision", "embed", "search", "ocr", "stt", "tts", "summary"]
ChatKind = Literal["private", "group"]  # a supergroup is a group to rules
Role = Literal["user", "admin"]
MODES: tuple[str, ...] = get_args(Mode)
CHATS: tuple[str, ...] = get_args(ChatKind)
ROLES: tuple[str, ...] = get_args(Role)


@dataclass(frozen=True, slots=True)
class RouteContext:
    """What rules look at: who asks, how, and what."""

    agent: str = ""
    mode: str = "chat"
    chat: str = "private"  # private | group | supergroup (a supergroup is a group to rules)
    role: str = "user"
    has_image: bool = False
    language: str = ""
    length: int = 0  # characters of the latest user message

    @classmethod
    def of(cls, request: ChatRequest) -> RouteContext:
        """The context of a request; its task is the mode, its last user message gives the length."""
        last = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
        return cls(
            agent=request.agent, mode=request.task, chat=request.chat, role=request.role,
            has_image=request.has_image, language=request.language, length=len(last),
        )


# -- the conditions: one line each in WhenSpec, with the value router.yaml takes and the test it makes ----------


@dataclass(frozen=True, slots=True)
class Matches:
    """A condition's test, kept beside its type: (the compiled value, the request's context) → does it hold?"""

    holds: Callable[[Any, RouteContext], bool]


def _as_tuple(value: Any) -> Any:
    """A single value or a list of values; both become a tuple."""
    return value if value is None or isinstance(value, (list, tuple)) else (value,)


def _lower(value: Any) -> Any:
    value = _as_tuple(value)
    if isinstance(value, (list, tuple)):
        return tuple(v.strip().lower() if isinstance(v, str) else v for v in value)
    return value


def _language(wanted: frozenset[str], ctx: RouteContext) -> bool:
    """`uk` matches uk, uk-UA and UK."""
    lang = ctx.language.lower()
    return lang in wanted or lang.partition("-")[0].partition("_")[0] in wanted


T = TypeVar("T")
Word = Annotated[str, Field(min_length=1)]
OneOrMany = Annotated[tuple[T, ...], BeforeValidator(_as_tuple)]  # `mode: chat` or `mode: [chat, vision]`
Length = Annotated[int, Field(ge=0)]


class WhenSpec(BaseModel):
    """A rule's conditions as router.yaml writes them; an absent one matches anything, an unknown key is an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    agent: Annotated[OneOrMany[Word] | None, Matches(lambda v, c: c.agent in v)] = None
    mode: Annotated[OneOrMany[Mode] | None, Matches(lambda v, c: c.mode in v)] = None
    chat: Annotated[OneOrMany[ChatKind] | None,
                    Matches(lambda v, c: ("group" if c.chat == "supergroup" else c.chat) in v)] = None
    role: Annotated[OneOrMany[Role] | None, Matches(lambda v, c: c.role in v)] = None
    has_image: Annotated[bool | None, Matches(lambda v, c: c.has_image == v)] = None
    language: Annotated[tuple[Word, ...] | None, BeforeValidator(_lower), Matches(_language)] = None
    min_length: Annotated[Length | None, Matches(lambda v, c: c.length >= v)] = None
    max_length: Annotated[Length | None, Matches(lambda v, c: c.length <= v)] = None

    @model_validator(mode="after")
    def _range(self) -> WhenSpec:
        if self.min_length is not None and self.max_length is not None and self.min_length > self.max_length:
            raise ValueError(f"min_length ({self.min_length}) is above max_length ({self.max_length})")
        return self

    @property
    def catch_all(self) -> bool:
        """No condition set: the rule matches every request."""
        return all(value is None for _, value in self)


TESTS: dict[str, Callable[[Any, RouteContext], bool]] = {
    name: next(m.holds for m in info.metadata if isinstance(m, Matches)) for name, info in WhenSpec.model_fields.items()
}
CONDITIONS = tuple(TESTS)
