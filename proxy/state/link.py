"""The connection to Redis, with a breaker: after a failure, per-process state serves for a while.

Every shared store asks the link to run its Redis commands. A command that fails or takes longer
than `state.timeout_seconds` raises StateUnavailable at once, and for `state.retry_seconds` after
that no request tries Redis again, so an outage costs one timeout, not one per request. The stores
then fall back to the process's own memory: answers stay correct, only the upstream cost rises.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Final, TypeVar

from proxy.clock import Clock
from proxy.config import StateSettings
from proxy.metrics import ComponentStats

# redis is imported when the `redis` backend is chosen, not before: with `memory` its client
# would only cost every process some 7 MB.
if TYPE_CHECKING:
    from redis.asyncio import Redis as RedisClient

_log = logging.getLogger(__name__)
_T = TypeVar("_T")
# Deletes a key only while it still holds this process's token: a claim or lease that lapsed and
# was taken by another replica is left alone.
_DELETE_IF_HELD: Final = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class StateUnavailable(Exception):
    """Redis cannot be used right now; the caller falls back to per-process state."""


def connect(settings: StateSettings) -> RedisClient:
    """A client that never retries on its own: the fallback is the retry."""
    from redis.asyncio import Redis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    return Redis.from_url(
        settings.redis_url,
        socket_timeout=settings.timeout_seconds,
        socket_connect_timeout=settings.timeout_seconds,
        retry=Retry(NoBackoff(), 0),
    )


class RedisLink:
    def __init__(
        self, client: RedisClient, settings: StateSettings, stats: ComponentStats, clock: Clock
    ) -> None:
        self.client = client
        self._clock = clock
        self.key_prefix = settings.key_prefix
        self._timeout = settings.timeout_seconds
        self._retry_seconds = settings.retry_seconds
        self._stats = stats
        self._retry_at = 0.0
        self.last_error: str | None = None
        self._delete_if_held = client.register_script(_DELETE_IF_HELD)
        from redis.exceptions import RedisError

        self._failures: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError)
        stats.state_backend = "redis"

    @property
    def available(self) -> bool:
        return self._stats.state_available

    def key(self, *parts: str) -> str:
        return self.key_prefix + ":".join(parts)

    async def run(self, store: str, commands: Callable[[RedisClient], Awaitable[_T]]) -> _T:
        """The commands' result, or StateUnavailable (counted as a fallback of `store`)."""
        if not self.available and self._clock.now() < self._retry_at:
            self._stats.state_fallbacks[store] += 1
            raise StateUnavailable(self.last_error)
        try:
            async with asyncio.timeout(self._timeout):
                result = await commands(self.client)
        except self._failures as exc:
            self._went_down(store, exc)
            raise StateUnavailable(self.last_error) from exc
        if not self.available:
            self._stats.state_available = True
            self.last_error = None
            _log.warning("Redis answers again: shared state is back in use")
        return result

    def _went_down(self, store: str, exc: BaseException) -> None:
        self._stats.state_fallbacks[store] += 1
        self._retry_at = self._clock.now() + self._retry_seconds
        # The class name only: a message could carry the URL, and with it a password.
        self.last_error = type(exc).__name__
        if self.available:
            self._stats.state_available = False
            _log.warning(
                "Redis is unavailable (%s): serving from per-process state, retrying every %.1f s",
                self.last_error,
                self._retry_seconds,
            )

    async def release(self, store: str, key: str, token: str | bytes) -> None:
        """Gives up a claim or lease if still held; when Redis is away it lapses by itself."""
        try:
            await self.run(store, lambda client: self._delete_if_held(keys=[key], args=[token]))
        except StateUnavailable:
            return

    async def check(self) -> bool:
        """Pings Redis now (at start-up and from readiness), whatever the breaker says."""
        self._retry_at = 0.0
        try:
            await self.run("ping", lambda client: client.ping())
        except StateUnavailable:
            return False
        return True

    async def close(self) -> None:
        await self.client.aclose()
