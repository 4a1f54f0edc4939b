"""Routing rules: which ordered targets answer a request, decided by the request's context.

A rule has `when` conditions (all must hold; an absent condition matches anything) and `use`, its
ordered targets. Rules are tried by priority (higher first; equal priority keeps file order) and the
first match wins. `router.yaml`'s `routes:` are a shorthand: a route `chat: [...]` is a rule
`{when: {mode: chat}, use: [...]}` checked after every rule, and the `chat` route also serves tasks
without a route of their own (the catch-all).

The conditions themselves (what router.yaml may write under `when:` and what each one tests) are one table,
router.conditions.WhenSpec. Matching is a handful of set look-ups per rule: every value list is a frozenset
built once, at load.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainValidator

from router.conditions import CONDITIONS, TESTS, RouteContext, WhenSpec
from router.types import Target

__all__ = ["CONDITIONS", "NoRuleMatched", "RouteContext", "Rule", "RuleSpec", "WhenSpec", "from_routes", "match",
           "ordered"]

# Where a rule came from; rules sort by tier first, so route shorthands come after every rule.
RULES, ROUTES, FALLBACK = 0, 1, 2


class NoRuleMatched(LookupError):
    """No rule matched the context (a rule set without a catch-all)."""


def _compiled(value: Any) -> Any:
    """A list of values becomes a frozenset, built once, so that matching is a set look-up."""
    return frozenset(value) if isinstance(value, (tuple, list, set)) else value


def _shown(value: Any) -> Any:
    """A condition's value as router.yaml would write it."""
    if isinstance(value, frozenset):
        items = sorted(value)
        return items[0] if len(items) == 1 else items
    return value


class Rule:
    """One compiled rule: its targets, the conditions set (by name, as in WhenSpec) and where it came from."""

    __slots__ = ("_checks", "conditions", "index", "line", "name", "priority", "profile", "targets", "tier")

    def __init__(self, targets: Sequence[Target], *, priority: int = 0, index: int = 0, line: int | None = None,
                 tier: int = RULES, name: str = "", profile: str | None = None, **when: Any) -> None:
        if unknown := set(when) - set(TESTS):
            raise TypeError(f"unknown condition(s) {', '.join(sorted(unknown))}; known: {', '.join(CONDITIONS)}")
        self.targets = tuple(targets)
        self.conditions: Mapping[str, Any] = {k: _compiled(when[k]) for k in CONDITIONS if when.get(k) is not None}
        self._checks = tuple((TESTS[k], v) for k, v in self.conditions.items())
        self.priority = priority
        self.index = index  # position in its section of the file (rules: or routes:)
        self.line = line  # 1-based line in the YAML file, when loaded from one
        self.tier = tier
        self.name = name  # how explain names it: rules[2], routes.chat
        self.profile = profile  # the profile `use` named, if any

    def with_targets(self, targets: Sequence[Target]) -> Rule:
        """The same rule sending to other targets."""
        return Rule(targets, priority=self.priority, index=self.index, line=self.line, tier=self.tier,
                    name=self.name, profile=self.profile, **self.conditions)

    @property
    def catch_all(self) -> bool:
        return not self.conditions

    @property
    def when(self) -> dict[str, Any]:
        """The conditions that are set, as they would be written in router.yaml."""
        return {key: _shown(value) for key, value in self.conditions.items()}

    def matches(self, ctx: RouteContext) -> bool:
        """True when every set condition holds for `ctx`."""
        return all(holds(value, ctx) for holds, value in self._checks)

    def describe(self) -> str:
        """One line for humans: name, line, priority and conditions."""
        where = f" (line {self.line})" if self.line else ""
        prio = f", priority {self.priority}" if self.priority else ""
        when = ", ".join(f"{k}: {v}" for k, v in self.when.items()) or "catch-all"
        return f"{self.name or 'rule'}{where}{prio}: when {{{when}}}"

    def __repr__(self) -> str:
        return f"Rule({self.describe()} → {', '.join(map(str, self.targets))})"


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


class RuleSpec(BaseModel):
    """One entry of `rules:`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    when: Annotated[WhenSpec, BeforeValidator(lambda v: {} if v is None else v)] = WhenSpec()
    use: Annotated[str | tuple[Target, ...], PlainValidator(parse_use)]
    priority: int = 0

    def compile(self, targets: Sequence[Target], *, index: int, line: int | None = None) -> Rule:
        """A matchable Rule with the given (resolved) targets."""
        return Rule(
            targets, priority=self.priority, index=index, line=line, tier=RULES, name=f"rules[{index}]",
            profile=self.use if isinstance(self.use, str) else None, **dict(self.when),
        )
