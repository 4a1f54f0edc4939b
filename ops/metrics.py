"""The Prometheus side of base.metrics: `dagi_*` counters, gauges and histograms in a registry of their own.

Imported only when metrics are on (METRICS_PORT set, or webhook mode): prometheus-client is in the `server` extra.
Circuit states are read from the breakers and pending messages from the database when Prometheus scrapes,
so neither costs the hot path anything.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.gc_collector import GCCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from router.core import ModelRouter
from router.overrides import unique
from storage.models import Message
from storage.store import Store

log = logging.getLogger(__name__)
disable_created_metrics()  # `*_created` series double the output and no dashboard reads them

# Seconds: a delivery takes milliseconds, a queue or a slow model up to minutes.
STAGE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0)
CIRCUIT = {"closed": 0, "half_open": 1, "open": 2}  # the gauge's values
SPEECH = {"stt": "heard", "tts": "spoken"}  # a speech task → the voice counter's direction
PENDING_TIMEOUT = 2.0  # seconds the pending count may take at a scrape; older value is shown if it takes longer


class PrometheusMetrics:
    """base.metrics.Metrics on prometheus-client; `registry` is what /metrics serves."""

    def __init__(self, router: ModelRouter | None = None, store: Store | None = None) -> None:
        self.registry = registry = CollectorRegistry()
        self.store = store
        self.updates = Counter("dagi_updates", "Telegram updates by type and outcome", ["type", "outcome"],
                               registry=registry)
        self.stages = Histogram("dagi_stage_seconds", "Seconds per stage of a reply: queue (stored → its turn), "
                                "model_first_token, model_total, delivery (model done → whole answer visible)",
                                ["stage"], buckets=STAGE_BUCKETS, registry=registry)
        self.calls = Counter("dagi_model_calls", "Model attempts by provider, model, task, outcome and whether the "
                             "provider is local", ["provider", "model", "task", "outcome", "local"], registry=registry)
        self.in_flight = Gauge("dagi_model_in_flight", "Model requests in flight per target", ["provider", "model"],
                               registry=registry)
        self.token_count = Counter("dagi_model_tokens", "Tokens per provider and model (direction in/out)",
                                   ["provider", "model", "direction"], registry=registry)
        self.cost = Counter("dagi_model_cost_usd", "Cost in USD per provider and model", ["provider", "model"],
                            registry=registry)
        self.retry_after = Counter("dagi_telegram_429", "Bot API calls Telegram answered with 429, by method",
                                   ["method"], registry=registry)
        self.voice = Counter("dagi_voice_seconds", "Seconds of speech heard (transcribed) and spoken (synthesized)",
                             ["direction", "provider"], registry=registry)
        self.queue_waits = Histogram("dagi_queue_wait_seconds", "Seconds a model request waited for a slot of a "
                                     "provider with limited slots (0: one was free)", ["provider"],
                                     buckets=STAGE_BUCKETS, registry=registry)
        self.overflows = Counter("dagi_overflow", "Requests that passed a busy provider over for their next target, "
                                 "by reason (busy: no slot within queue_timeout; queue_full: max_queue waiting)",
                                 ["provider", "reason"], registry=registry)
        self.pending = Gauge("dagi_pending_messages", "User messages stored and not yet answered (all replicas)",
                             registry=registry)
        if router is not None:
            registry.register(CircuitCollector(router))
        ProcessCollector(registry=registry)
        GCCollector(registry=registry)

    # -- base.metrics.Metrics ---------------------------------------------------

    def update(self, kind: str, outcome: str) -> None:
        self.updates.labels(kind, outcome).inc()

    def stage(self, stage: str, seconds: float) -> None:
        self.stages.labels(stage).observe(seconds)

    def call_started(self, provider: str, model: str) -> None:
        self.in_flight.labels(provider, model).inc()

    def call_ended(self, provider: str, model: str, *, task: str, outcome: str, local: bool,
                   first_token: float | None, total: float, audio_seconds: float) -> None:
        self.in_flight.labels(provider, model).dec()
        self.calls.labels(provider, model, task, outcome, "true" if local else "false").inc()
        if first_token is not None:  # a streamed answer: its stages (embeddings and speech have none)
            self.stages.labels("model_first_token").observe(first_token)
            if outcome == "ok":
                self.stages.labels("model_total").observe(total)
        if audio_seconds and outcome == "ok" and (direction := SPEECH.get(task)):
            self.voice.labels(direction, provider).inc(audio_seconds)

    def tokens(self, provider: str, model: str, tokens_in: int, tokens_out: int, cost: float) -> None:
        if tokens_in:
            self.token_count.labels(provider, model, "in").inc(tokens_in)
        if tokens_out:
            self.token_count.labels(provider, model, "out").inc(tokens_out)
        if cost:
            self.cost.labels(provider, model).inc(cost)

    def telegram_429(self, method: str) -> None:
        self.retry_after.labels(method).inc()

    def queue_wait(self, provider: str, seconds: float) -> None:
        self.queue_waits.labels(provider).observe(seconds)

    def overflow(self, provider: str, reason: str) -> None:
        self.overflows.labels(provider, reason).inc()

    # -- at scrape time -----------------------------------------------------------

    async def refresh(self) -> None:
        """Read what is counted in the database (pending messages); a slow or failing database keeps the old value."""
        if self.store is None:
            return
        try:
            async with asyncio.timeout(PENDING_TIMEOUT):
                self.pending.set(await pending_count(self.store))
        except Exception as exc:  # noqa: BLE001 - a scrape must answer even when the database does not
            log.debug("pending messages not counted: %s", exc)

    def names(self) -> set[str]:
        """Every sample name this registry can expose (dashboards must only use these)."""
        names: set[str] = set()
        for metric in self.registry.collect():
            suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count")}.get(metric.type, ("",))
            names |= {metric.name + s for s in suffixes}
        return names


class CircuitCollector(Collector):
    """`dagi_circuit_state` per routed target (0 closed, 1 half-open, 2 open), read from the breakers at scrape."""

    def __init__(self, router: ModelRouter) -> None:
        self.router = router

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily("dagi_circuit_state", "Circuit breaker per target: 0 closed, 1 half-open, 2 open",
                                   labels=["provider", "model"])
        breakers = self.router.breakers
        for target in unique(t for rule in self.router.rules for t in rule.targets):
            family.add_metric([target.provider, target.model], CIRCUIT[breakers.state(target).status])
        yield family


async def pending_count(store: Store) -> int:
    """User messages stored as pending in the whole database (every replica's)."""
    query = select(func.count()).select_from(Message).where(Message.status == "pending", Message.role == "user")
    return int(await store.db.run(lambda conn: conn.execute(query).scalar_one()))
