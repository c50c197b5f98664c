"""A clock tests move by hand: `sleep` advances it at once instead of waiting."""

import asyncio
from datetime import UTC, datetime, timedelta

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
