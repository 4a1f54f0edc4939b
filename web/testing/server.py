"""The plumbing both web fakes share: an aiohttp app on a free 127.0.0.1 port, and hangs released at stop."""
from __future__ import annotations

import asyncio
import socket

from aiohttp import web

__all__ = ["LocalServer", "refusing_url"]


class LocalServer:
    """One aiohttp application on 127.0.0.1:<free port>; `hang()` waits until stop() (then drops the connection)."""

    def __init__(self) -> None:
        self.url = ""
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._stopping = asyncio.Event()

    async def serve(self, app: web.Application) -> None:
        # A short shutdown timeout so stop() is prompt even with a handler mid-hang.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        await web.SockSite(self._runner, sock).start()
        self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"

    async def close(self) -> None:
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def hang(self, request: web.Request) -> web.Response:
        """Answer nothing until the server stops, then drop the connection (a backend that never replies)."""
        await self._stopping.wait()
        if request.transport is not None:
            request.transport.close()
        return web.Response()


def refusing_url() -> str:
    """An http URL on 127.0.0.1 where nothing listens (a backend that is down)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
