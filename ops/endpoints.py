"""/metrics, /healthz and /readyz: routes any aiohttp app can mount (the webhook's), or a small server of their own.

Building them installs the Prometheus sink (base.metrics.install); prometheus-client is imported only then.
"""
from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from aiohttp import web

from base import ConfigError
from base.metrics import install, metrics
from ops.readiness import ReadinessProbe, chat_targets, database
from ops.services import Ops
from router.core import ModelRouter
from storage.store import Store

if TYPE_CHECKING:
    from aiohttp.typedefs import Handler

    from ops.metrics import PrometheusMetrics

log = logging.getLogger(__name__)


class Observability:
    """The process's metrics and readiness checks, and the HTTP routes that show them."""

    def __init__(self, metrics: PrometheusMetrics, readiness: ReadinessProbe) -> None:
        from prometheus_client.aiohttp import make_aiohttp_handler

        self.metrics, self.readiness = metrics, readiness
        self._export: Handler = make_aiohttp_handler(metrics.registry)

    def add_routes(self, app: web.Application) -> None:
        """Mount GET /metrics, /healthz and /readyz on `app` (before it starts)."""
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/healthz", self._alive)
        app.router.add_get("/readyz", self._ready)

    @contextlib.asynccontextmanager
    async def serving(self, host: str, port: int) -> AsyncIterator[web.AppRunner]:
        """The routes on their own server (polling mode: METRICS_PORT) while the block runs."""
        app = web.Application()
        self.add_routes(app)
        runner = web.AppRunner(app, access_log=None)  # a scrape every few seconds is not worth a log line
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
            log.info("metrics and health checks on http://%s:%d/metrics, /healthz, /readyz", host, port)
            yield runner
        finally:
            await runner.cleanup()

    def close(self) -> None:
        """Stop reporting to this sink (the process's metrics are off again, unless another sink took over)."""
        if metrics() is self.metrics:
            install(None)

    async def _metrics(self, request: web.Request) -> web.StreamResponse:
        await self.metrics.refresh()
        return await self._export(request)

    @staticmethod
    async def _alive(request: web.Request) -> web.Response:
        return web.json_response({"status": "alive"})  # answered at all: the event loop runs

    async def _ready(self, request: web.Request) -> web.Response:
        readiness = await self.readiness.run()
        return web.json_response(readiness.as_json(), status=200 if readiness.ready else 503)


def observe(router: ModelRouter, store: Store, ops: Ops | None = None) -> Observability:
    """Build the Prometheus sink for this router and database, install it, and add the readiness checks."""
    try:
        from ops.metrics import PrometheusMetrics
    except ImportError as exc:
        raise ConfigError(f"METRICS_PORT: metrics need the `server` extra ({exc.name} is missing). "
                          "Fix: pip install 'dagi[server]', or unset METRICS_PORT") from None
    metrics = PrometheusMetrics(router, store)
    install(metrics)
    checks = {"database": database(store), "chat_targets": chat_targets(router, ops)}
    return Observability(metrics, ReadinessProbe(checks))
