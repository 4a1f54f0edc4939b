"""Admin overrides of the routing: targets switched off, and an agent's own route tried before every rule."""
from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from router.errors import ProviderUnavailable
from router.rules import Rule
from router.types import Target

ADMIN_TIER = -1  # rules sort by tier first: an admin's agent route comes before every rule of router.yaml


class SwitchedOff(ProviderUnavailable):
    """The target was not called: an admin switched it (or its whole provider) off."""

    kind = "switched_off"


@dataclass(frozen=True, slots=True)
class AgentRoute:
    """An agent's requests of `task` (its persona's route, usually chat) go to these targets first."""

    agent: str
    targets: tuple[Target, ...]
    task: str = "chat"

    def rule(self) -> Rule:
        """The route as a rule above every other, so `rule_for` (and explain) name it."""
        return Rule(self.targets, agent=frozenset({self.agent}), mode=frozenset({self.task}), tier=ADMIN_TIER,
                    name=f"admin route of {self.agent}")


@dataclass
class Overrides:
    """What admins changed from chat; kept across a config reload while it still names known providers."""

    disabled: set[str] = field(default_factory=set)  # "provider:model" or a whole "provider"
    routes: dict[str, AgentRoute] = field(default_factory=dict)

    def off(self, target: Target) -> SwitchedOff | None:
        """Why the target must be skipped (switched off by an admin), or None."""
        if target.provider in self.disabled or str(target) in self.disabled:
            return SwitchedOff("switched off by an admin", provider=target.provider, model=target.model)
        return None

    def rules(self) -> tuple[Rule, ...]:
        """The agent routes as rules (tier ADMIN_TIER)."""
        return tuple(route.rule() for route in self.routes.values())

    def keep_known(self, providers: Collection[str]) -> list[str]:
        """Drop overrides that name a provider no longer configured; what was dropped, for the log."""
        dropped = [spec for spec in self.disabled if spec.partition(":")[0] not in providers]
        self.disabled -= set(dropped)
        for agent, route in list(self.routes.items()):
            if any(t.provider not in providers for t in route.targets):
                dropped.append(f"route of {agent}")
                del self.routes[agent]
        return dropped


def unique(targets: Iterable[Target]) -> tuple[Target, ...]:
    """Targets without repeats, in first-seen order."""
    return tuple(dict.fromkeys(targets))
