"""Routing rules: which ordered targets answer a request, decided by the request's context.

A rule has `when` conditions (all must hold; an absent condition matches anything) and `use`, its
ordered targets. Rules are tried by priority (higher first; equal priority keeps file order) and the
first match wins. `router.yaml`'s `routes:` are a shorthand: a route `chat: [...]` is a rule
`{when: {mode: chat}, use: [...]}` checked after every rule, and the `chat` route also serves tasks
without a route of their own (the catch-all).

Matching is a handful of set look-ups per rule: every value list is a frozenset built once, at load.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    model_validator,
)

from router.types import ChatRequest, Target

MODES = ("chat", "vision", "embed", "search", "ocr", "stt")
CHATS = ("private", "group")
ROLES = ("user", "admin")
CONDITIONS = ("agent", "mode", "chat", "role", "has_image", "language", "min_length", "max_length")

# Where a rule came from; rules sort by tier first, so route shorthands come after every rule.
RULES, ROUTES, FALLBACK = 0, 1, 2


class NoRuleMatched(LookupError):
    """No rule matched the context (a rule set without a catch-all)."""


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


@dataclass(frozen=True, slots=True, eq=False)
class Rule:
    """One compiled rule: None = the condition is not set (matches anything)."""

    targets: tuple[Target, ...]
    agent: frozenset[str] | None = None
    mode: frozenset[str] | None = None
    chat: frozenset[str] | None = None
    role: frozenset[str] | None = None
    has_image: bool | None = None
    language: frozenset[str] | None = None
    min_length: int | None = None
    max_length: int | None = None
    priority: int = 0
    index: int = 0  # position in its section of the file (rules: or routes:)
    line: int | None = None  # 1-based line in the YAML file, when loaded from one
    tier: int = RULES
    name: str = ""  # how explain names it: rules[2], routes.chat
    profile: str | None = None  # the profile `use` named, if any

    @property
    def catch_all(self) -> bool:
        return not self.when

    @property
    def when(self) -> dict[str, Any]:
        """The conditions that are set, as they would be written in router.yaml."""
        out: dict[str, Any] = {}
        for key in CONDITIONS:
            value = getattr(self, key)
            if value is None:
                continue
            if isinstance(value, frozenset):
                items = sorted(value)
                out[key] = items[0] if len(items) == 1 else items
            else:
                out[key] = value
        return out

    def matches(self, ctx: RouteContext) -> bool:
        """True when every set condition holds for `ctx`."""
        if self.mode is not None and ctx.mode not in self.mode:
            return False
        if self.agent is not None and ctx.agent not in self.agent:
            return False
        if self.chat is not None and ("group" if ctx.chat == "supergroup" else ctx.chat) not in self.chat:
            return False
        if self.role is not None and ctx.role not in self.role:
            return False
        if self.has_image is not None and ctx.has_image != self.has_image:
            return False
        if self.language is not None:
            lang = ctx.language.lower()
            if lang not in self.language and lang.partition("-")[0].partition("_")[0] not in self.language:
                return False
        if self.min_length is not None and ctx.length < self.min_length:
            return False
        if self.max_length is not None and ctx.length > self.max_length:
            return False
        return True

    def describe(self) -> str:
        """One line for humans: name, line, priority and conditions."""
        where = f" (line {self.line})" if self.line else ""
        prio = f", priority {self.priority}" if self.priority else ""
        when = ", ".join(f"{k}: {v}" for k, v in self.when.items()) or "catch-all"
        return f"{self.name or 'rule'}{where}{prio}: when {{{when}}}"


def ordered(rules: Iterable[Rule]) -> tuple[Rule, ...]:
    """Rules in the order they are tried: tier, then higher priority, then file order."""
    return tuple(sorted(rules, key=lambda r: (r.tier, -r.priority, r.index)))


def match(rules: Sequence[Rule], context: RouteContext) -> Rule:
    """The first rule of `rules` (already `ordered`) that matches; NoRuleMatched if none does."""
    for rule in rules:
        if rule.matches(context):
            return rule
    raise NoRuleMatched(f"no rule matches {context}")


def from_routes(routes: Mapping[str, Sequence[Target]], lines: Mapping[str, int] | None = None) -> tuple[Rule, ...]:
    """The `routes:` shorthand as rules: one per task, plus the chat route as the catch-all."""
    lines = lines or {}
    out = [
        Rule(tuple(ts), mode=frozenset({task}), index=i, line=lines.get(task), tier=ROUTES, name=f"routes.{task}")
        for i, (task, ts) in enumerate(routes.items())
    ]
    if "chat" in routes:
        out.append(Rule(tuple(routes["chat"]), line=lines.get("chat"), tier=FALLBACK, name="routes.chat"))
    return tuple(out)


# -- the rule as written in router.yaml (validated by pydantic) ------------------------------------


def _as_tuple(value: Any) -> Any:
    """A single value or a list of values; both become a tuple."""
    if value is None or isinstance(value, (list, tuple)):
        return value
    return (value,)


def _lower(value: Any) -> Any:
    value = _as_tuple(value)
    if isinstance(value, tuple):
        return tuple(v.strip().lower() if isinstance(v, str) else v for v in value)
    return value


def parse_use(value: Any) -> str | tuple[Target, ...]:
    """`use`: a profile name, or an ordered list of 'provider:model' targets (one target may stand alone)."""
    if isinstance(value, str):
        if ":" in value:
            return (Target.parse(value),)
        if not value:
            raise ValueError("use needs a profile name or a list of 'provider:model' targets")
        return value
    if not isinstance(value, (list, tuple)):
        raise ValueError("use is a profile name or a list of 'provider:model' targets")
    if not value:
        raise ValueError("a rule needs at least one target")
    targets = []
    for i, item in enumerate(value):
        if isinstance(item, Target):
            targets.append(item)
            continue
        if not isinstance(item, str):
            raise ValueError(f"[{i}]: a target is a string like 'provider:model'")
        try:
            targets.append(Target.parse(item))
        except ValueError as exc:
            raise ValueError(f"[{i}]: {exc}") from None
    return tuple(targets)


Values = Annotated[tuple[Annotated[str, Field(min_length=1)], ...] | None, BeforeValidator(_as_tuple)]
Lowered = Annotated[tuple[Annotated[str, Field(min_length=1)], ...] | None, BeforeValidator(_lower)]


class WhenSpec(BaseModel):
    """A rule's conditions; an unknown key is an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    agent: Values = None
    mode: Annotated[tuple[Literal[MODES], ...] | None, BeforeValidator(_as_tuple)] = None  # type: ignore[valid-type]
    chat: Annotated[tuple[Literal[CHATS], ...] | None, BeforeValidator(_as_tuple)] = None  # type: ignore[valid-type]
    role: Annotated[tuple[Literal[ROLES], ...] | None, BeforeValidator(_as_tuple)] = None  # type: ignore[valid-type]
    has_image: bool | None = None
    language: Lowered = None
    min_length: int | None = Field(None, ge=0)
    max_length: int | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _range(self) -> WhenSpec:
        if self.min_length is not None and self.max_length is not None and self.min_length > self.max_length:
            raise ValueError(f"min_length ({self.min_length}) is above max_length ({self.max_length})")
        return self


class RuleSpec(BaseModel):
    """One entry of `rules:`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    when: Annotated[WhenSpec, BeforeValidator(lambda v: {} if v is None else v)] = WhenSpec()
    use: Annotated[str | tuple[Target, ...], PlainValidator(parse_use)]
    priority: int = 0

    def compile(self, targets: Sequence[Target], *, index: int, line: int | None = None) -> Rule:
        """A matchable Rule with the given (resolved) targets."""
        w = self.when

        def s(values: tuple[str, ...] | None) -> frozenset[str] | None:
            return None if values is None else frozenset(values)

        return Rule(
            tuple(targets), agent=s(w.agent), mode=s(w.mode), chat=s(w.chat), role=s(w.role),
            has_image=w.has_image, language=s(w.language), min_length=w.min_length, max_length=w.max_length,
            priority=self.priority, index=index, line=line, tier=RULES, name=f"rules[{index}]",
            profile=self.use if isinstance(self.use, str) else None,
        )
