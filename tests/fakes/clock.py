"""A clock tests move by hand: `sleep` advances it at once instead of waiting."""

import asyncio
import heapq
import itertools
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

T = TypeVar("T")

_EPOCH = datetime(2026, 11, 1, 12, 0, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self) -> None:
        self._now = 1000.0

    def now(self) -> float:
        return self._now

    def wall(self) -> datetime:
        return _EPOCH + timedelta(seconds=self._now)

    def advance(self, seconds: float) -> None:
        self._now += seconds

    async def sleep(self, seconds: float) -> None:
        self._now += max(seconds, 0.0)
        await asyncio.sleep(0)


class ManualClock:
    """A clock whose sleepers wake only when time is moved; `run` moves it as a test would wait.

    `run(awaitable)` lets real I/O settle, then jumps straight to the next sleeper's wake-up, until
    the awaitable is done: seconds of waiting cost milliseconds, in the order real time would give.
    """

    def __init__(self) -> None:
        self._now = 1000.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._counter = itertools.count()
        self._activity = 0

    def now(self) -> float:
        return self._now

    def wall(self) -> datetime:
        return _EPOCH + timedelta(seconds=self._now)

    async def sleep(self, seconds: float) -> None:
        self._activity += 1
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        wake_up: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._now + seconds, next(self._counter), wake_up))
        try:
            await wake_up
        finally:
            self._activity += 1

    def _wake_next(self) -> None:
        when, _, wake_up = heapq.heappop(self._sleepers)
        self._now = max(self._now, when)
        if not wake_up.done():
            wake_up.set_result(None)

    async def _settle(self) -> None:
        """Returns once a whole real 20 ms passed with no sleeper added or woken."""
        while True:
            seen = self._activity
            await asyncio.sleep(0.02)
            if seen == self._activity:
                return

    async def advance(self, seconds: float) -> None:
        target = self._now + seconds
        await self._settle()
        while self._sleepers and self._sleepers[0][0] <= target:
            self._wake_next()
            await self._settle()
        self._now = target

    async def run(self, awaitable: Awaitable[T], limit: float = 600.0) -> T:
        """Awaits `awaitable`, jumping time forward whenever everything else is asleep."""
        task = asyncio.ensure_future(awaitable)
        deadline = self._now + limit
        while not task.done():
            await self._settle()
            live = [entry for entry in self._sleepers if not entry[2].done()]
            if task.done() or not live:
                continue
            if live[0][0] > deadline:
                task.cancel()
                raise TimeoutError("the awaitable did not finish within the clock limit")
            self._wake_next()
        return task.result()
