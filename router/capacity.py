"""How much each provider carries at once: slots, a bounded wait for one, and a share of them per mode.

One Ollama on one GPU answers a few requests at a time (OLLAMA_NUM_PARALLEL); past that every request queues
inside it. The router keeps count instead: a request that finds a provider's slots full waits up to
`queue_timeout` for one, then overflows to its rule's next target (router/core.py). Among the members of a pool
the least busy free one is taken (in flight / slots). A mode may hold only its share of the slots (`shares`), so
a photo burst cannot take every slot text chats need. Providers without a policy (cloud APIs) are never full.
"""
from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from router.types import Target

UNCOUNTED = frozenset({"embed"})  # modes outside the slots unless a share is set for them
DEFAULT_SLOTS = 2  # a local server's slots when neither router.yaml nor the server says (Ollama's usual parallel)
Origin = Literal["router.yaml", "default", "/api/ps"]  # where a policy's size came from; router.yaml's is kept


@dataclass(frozen=True, slots=True)
class SlotPolicy:
    """One provider's slots; `max_queue` None: any number may wait; `shares`: mode → fraction of the slots."""

    size: int = DEFAULT_SLOTS
    queue_timeout: float = 0.5
    max_queue: int | None = None
    max_wait: float = 120.0  # how long a request with nowhere else to go waits for a slot (local_only, the last)
    shares: Mapping[str, float] = field(default_factory=dict)
    origin: Origin = "router.yaml"  # "default" or "/api/ps": a health check may set the size the server reports

    def counts(self, mode: str) -> bool:
        """False for a mode that takes no slot: embeddings (Ollama serves them from a runner of their own, in
        milliseconds; a question's search must not queue behind chats) unless `shares` names them."""
        return mode not in UNCOUNTED or mode in self.shares

    def limit(self, mode: str) -> int:
        """Slots `mode` may hold at once (at least one)."""
        share = self.shares.get(mode)
        return self.size if share is None else max(1, math.floor(share * self.size))


@dataclass(frozen=True, slots=True)
class Slot:
    """A slot taken: give it back with Capacity.release; `waited` seconds were spent getting it."""

    target: Target
    mode: str
    waited: float = 0.0
    counted: bool = True  # False: the mode takes no slot (see SlotPolicy.counts), nothing to give back


class Capacity:
    """In-flight counts per provider against its policy; waiters wake at every release and look again."""

    def __init__(self, policies: Mapping[str, SlotPolicy] | None = None) -> None:
        self.policies: dict[str, SlotPolicy] = dict(policies or {})
        self.in_flight: Counter[str] = Counter()  # calls started here and not yet ended
        # In flight on the other replicas (REDIS_URL; ops/shared_state.py refreshes it every 100 ms): the slots of
        # a server several replicas send to are counted once, at the cost of an overshoot inside that window.
        self.elsewhere: Counter[str] = Counter()
        self.waiting: Counter[str] = Counter()
        self._modes: Counter[tuple[str, str]] = Counter()
        self._released: asyncio.Event | None = None

    def adopt(self, policies: Mapping[str, SlotPolicy]) -> None:
        """Use reloaded policies; calls in flight keep their slots (counts carry over), and a size a health check
        learned from the server stays while router.yaml still leaves it unset."""
        learned = {name: p for name, p in self.policies.items() if p.origin == "/api/ps"}
        self.policies = {name: replace(p, size=learned[name].size, origin="/api/ps")
                         if p.origin == "default" and name in learned else p for name, p in policies.items()}
        self._wake()

    def load(self, provider: str) -> float:
        """In flight / slots (0 for a provider without a policy: it never fills)."""
        policy = self.policies.get(provider)
        return self.busy(provider) / policy.size if policy else 0.0

    def busy(self, provider: str) -> int:
        """Calls in flight on the provider, here and on the other replicas."""
        return self.in_flight[provider] + self.elsewhere[provider]

    def seen_elsewhere(self, counts: Mapping[str, int]) -> None:
        """The other replicas' in-flight counts now; a slot they freed wakes the waiters here."""
        freed = any(counts.get(p, 0) < n for p, n in self.elsewhere.items())
        self.elsewhere = Counter({p: n for p, n in counts.items() if n > 0})
        if freed:
            self._wake()

    def free(self, provider: str, mode: str) -> bool:
        """True when a request of `mode` may start on the provider now."""
        policy = self.policies.get(provider)
        if policy is None or not policy.counts(mode):
            return True
        return self.busy(provider) < policy.size and self._modes[provider, mode] < policy.limit(mode)

    def limits(self, provider: str) -> bool:
        """True when the provider has slots to count (a policy)."""
        return provider in self.policies

    def policy_of(self, members: Sequence[Target]) -> SlotPolicy:
        """The policy that times a wait for these members: the first member's that has one."""
        return next((self.policies[t.provider] for t in members if t.provider in self.policies), SlotPolicy())

    def queue_full(self, members: Sequence[Target]) -> bool:
        """True when every member's waiting line is at its `max_queue`: overflow without waiting."""
        def full(provider: str) -> bool:
            policy = self.policies.get(provider)
            return bool(policy and policy.max_queue is not None and self.waiting[provider] >= policy.max_queue)
        return all(full(t.provider) for t in members)

    def take(self, members: Sequence[Target], mode: str) -> Slot | None:
        """The least busy member with a free slot (ties: the first listed), its slot taken; None when all are full."""
        free = [t for t in members if self.free(t.provider, mode)]
        if not free:
            return None
        target = min(free, key=lambda t: self.load(t.provider))  # min is stable: config order breaks ties
        policy = self.policies.get(target.provider)
        if policy is not None and not policy.counts(mode):
            return Slot(target, mode, counted=False)
        self.in_flight[target.provider] += 1
        self._modes[target.provider, mode] += 1
        return Slot(target, mode)

    async def wait(self, members: Sequence[Target], mode: str, timeout: float) -> Slot | None:
        """A slot of one of `members` within `timeout` seconds (the least busy when several free up); None if not."""
        started = time.monotonic()
        deadline = started + timeout
        providers = {t.provider for t in members}
        for p in providers:
            self.waiting[p] += 1
        try:
            while (slot := self.take(members, mode)) is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                if self._released is None:
                    self._released = asyncio.Event()
                released = self._released
                try:
                    async with asyncio.timeout(left):  # unlike wait_for on 3.11, a cancel is never lost to a wake
                        await released.wait()
                except TimeoutError:
                    return None
        finally:
            for p in providers:
                self.waiting[p] -= 1
        return replace(slot, waited=time.monotonic() - started)

    def release(self, slot: Slot) -> None:
        """The call on `slot` ended: the slot is free for the next waiter."""
        if not slot.counted:
            return
        provider = slot.target.provider
        self.in_flight[provider] = max(0, self.in_flight[provider] - 1)
        self._modes[provider, slot.mode] = max(0, self._modes[provider, slot.mode] - 1)
        self._wake()

    def _wake(self) -> None:
        if self._released is not None:
            self._released.set()  # every waiter looks again; the first to run takes the slot
            self._released = None
