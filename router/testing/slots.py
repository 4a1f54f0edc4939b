"""FakeLLM's parallel slots, like OLLAMA_NUM_PARALLEL: at most `parallel` chat requests generate at once, the
rest wait server-side in arrival order; counters tell a test what the server went through."""
from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class Slots:
    """`parallel` None: unlimited (the default). `pause()` holds every request that has a slot before it answers,
    so a test can keep slots busy for as long as it needs without timing anything."""

    def __init__(self, parallel: int | None = None) -> None:
        if parallel is not None and parallel < 1:
            raise ValueError("parallel must be at least 1 (None: unlimited)")
        self._parallel = parallel
        self.in_flight = 0  # requests holding a slot now
        self.max_in_flight = 0  # the most that ever held one at once
        self.waited = 0  # requests that found every slot taken and had to wait for one
        self._line: deque[asyncio.Future[None]] = deque()
        self._open = asyncio.Event()
        self._open.set()
        self._closed = False

    @property
    def parallel(self) -> int | None:
        return self._parallel

    @parallel.setter
    def parallel(self, value: int | None) -> None:
        if value is not None and value < 1:
            raise ValueError("parallel must be at least 1 (None: unlimited)")
        self._parallel = value
        self._hand_over()  # more slots: the first in line start now

    @property
    def waiting(self) -> int:
        """Requests in line for a slot now."""
        return sum(not f.done() for f in self._line)

    def pause(self) -> None:
        """Requests that take a slot from now on (and those holding one) wait before answering, until resume()."""
        self._open.clear()

    def resume(self) -> None:
        """Let every paused request answer."""
        self._open.set()

    def close(self) -> None:
        """The server stops: nobody waits any more (the handlers then see the stop and cut their answers)."""
        self._closed = True
        self._open.set()
        self._hand_over()

    @asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        """A slot for the body of the block, waited for in line when all are taken; given back on exit."""
        await self._take()
        try:
            await self._open.wait()
            yield
        finally:
            self._give_back()

    def _free(self) -> bool:
        return self._closed or self._parallel is None or self.in_flight < self._parallel

    def _enter(self) -> None:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)

    async def _take(self) -> None:
        if self._free() and not self.waiting:
            self._enter()
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._line.append(turn)
        self.waited += 1
        try:
            await turn  # _hand_over counts us in before it wakes us
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self._give_back()  # handed a slot just as the client went away: pass it on
            elif turn in self._line:
                self._line.remove(turn)
            raise

    def _give_back(self) -> None:
        self.in_flight = max(0, self.in_flight - 1)
        self._hand_over()

    def _hand_over(self) -> None:
        while self._line and self._free():
            turn = self._line.popleft()
            if not turn.done():
                self._enter()
                turn.set_result(None)
