"""Time as a dependency: the system clock in production, a fake one in tests."""

import asyncio
import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Monotonic seconds, for deadlines, TTLs and intervals."""

    def wall(self) -> datetime:
        """The current UTC wall time, for timestamps shown to clients."""

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> float:
        return time.monotonic()

    def wall(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, 0.0))


async def sleep_or_wake(clock: Clock, seconds: float, wakeup: asyncio.Event) -> None:
    """Sleeps `seconds` on `clock`, or until `wakeup` is set if that comes first."""
    timer = asyncio.ensure_future(clock.sleep(seconds))
    woken = asyncio.ensure_future(wakeup.wait())
    try:
        await asyncio.wait({timer, woken}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        # Not awaited: a cancel arriving while awaiting them would be swallowed with theirs.
        timer.cancel()
        woken.cancel()
