"""A clock tests move by hand: `sleep` advances it at once instead of waiting."""

import asyncio
import heapq
import itertools
from collections.abc import Awaitable, Sized
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


async def _loop_idle() -> None:
    """Returns at the first loop iteration in which nothing but this coroutine ran.

    Each `sleep(0)` leaves this coroutine ready, so the next iteration polls the sockets without
    blocking and queues what they delivered behind it. Resuming to an empty ready queue twice in a
    row means an iteration began with this coroutine alone, and its poll delivered nothing."""
    loop = asyncio.get_running_loop()
    ready: Sized = loop._ready  # type: ignore[attr-defined]  # asyncio's own loop, in tests
    alone = 0
    while alone < 2:
        await asyncio.sleep(0)
        alone = alone + 1 if not ready else 0


class ManualClock:
    """A clock whose sleepers wake only when time is moved; `run` moves it as a test would wait.

    `run(awaitable)` lets the event loop run until it is idle, then jumps straight to the next
    sleeper's wake-up, until the awaitable is done: seconds of waiting cost milliseconds, in the
    order real time would give. Idle means a whole loop iteration ran nothing but this check, and
    the sockets polled in it had nothing to read: loopback traffic between the servers of one test
    is already in the peer's buffer when its writer returns, so it always lands before time moves.

    A peer in another process (redis-server) answers after real time the loop cannot see; a test
    talking to one passes `external_round_trip`, the real quiet to wait out before each move.
    """

    def __init__(self, external_round_trip: float = 0.0) -> None:
        self._now = 1000.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._counter = itertools.count()
        self._activity = 0
        self._external_round_trip = external_round_trip

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
        """Returns once the loop is idle (and, with an external peer, was quiet that long)."""
        while True:
            seen = self._activity
            await _loop_idle()
            if self._external_round_trip:
                await asyncio.sleep(self._external_round_trip)
                await _loop_idle()
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
