"""Model calls in flight shared by replicas through Redis: a server's slots are counted once across them."""
from __future__ import annotations

from router.capacity import Capacity, SlotPolicy
from router.types import Target
from storage.inflight_redis import SharedInFlight
from storage.redis_link import connect

OLLAMA = Target("ollama", "qwen3:8b")


async def test_two_replicas_count_one_servers_slots_once(redis_url) -> None:
    a, b = Capacity({"ollama": SlotPolicy(size=2)}), Capacity({"ollama": SlotPolicy(size=2)})
    client = connect(redis_url)
    share_a, share_b = SharedInFlight(client, "r1"), SharedInFlight(client, "r2")
    try:
        first, second = a.take([OLLAMA], "chat"), a.take([OLLAMA], "chat")
        assert first and second
        await share_a.exchange(a.in_flight)
        b.seen_elsewhere(await share_b.exchange(b.in_flight))
        assert b.take([OLLAMA], "chat") is None, "replica 1 holds both slots of the one Ollama"
        a.release(first)
        await share_a.exchange(a.in_flight)
        b.seen_elsewhere(await share_b.exchange(b.in_flight))
        assert b.take([OLLAMA], "chat") is not None, "one freed on replica 1 is free on replica 2"
        await share_b.exchange(b.in_flight)
        a.seen_elsewhere(await share_a.exchange(a.in_flight))
        assert a.take([OLLAMA], "chat") is None and a.load("ollama") == 1.0
        await share_b.leave()
        a.seen_elsewhere(await share_a.exchange(a.in_flight))
        assert a.take([OLLAMA], "chat") is not None, "a replica that left counts no more"
    finally:
        await client.aclose()


async def test_a_dead_replicas_calls_stop_counting_when_its_entry_expires(redis_url) -> None:
    client = connect(redis_url)
    dead, alive = SharedInFlight(client, "r1"), SharedInFlight(client, "r2")
    try:
        await dead.exchange({"ollama": 2})
        assert await alive.exchange({}) == {"ollama": 2}
        await client.delete(dead.mine)  # what its expiry does EXPIRY_MS after its last refresh
        assert await alive.exchange({}) == {}
    finally:
        await client.aclose()
