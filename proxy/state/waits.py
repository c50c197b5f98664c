"""Who polls a waited-on task: with `redis`, one replica at a time, the others read its result.

Every process still runs one watch per (credential, task) for its own waiters. With `memory` each
watch polls the upstream itself. With `redis` a watch first takes its turn: the replica holding
the task's lease polls and publishes the Task it got; every other replica reads that Task from
Redis every `state.wait_follow_interval_seconds`. The lease lapses when its holder stops renewing
it (it died, or its last waiter left), and the next replica to take a turn becomes the poller.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Protocol

from proxy.config import StateSettings
from proxy.state.link import RedisLink, StateUnavailable

if TYPE_CHECKING:
    from redis.commands.core import AsyncScript

_STORE: Final = "prefer_wait"
# Long enough for any follower to read the last Task after the poller stopped (budgets are ≤ 30 s).
_LATEST_TTL_MS: Final = 60_000
_TAKE_TURN: Final = """
local holder = redis.call('GET', KEYS[1])
local polls = 0
if (not holder) or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  polls = 1
end
return {polls, redis.call('GET', KEYS[2])}
"""


@dataclass(frozen=True, slots=True)
class Turn:
    """Whether this process polls the upstream now, and the latest Task body any replica read.

    A replica taking over from a poller that left first looks at what that poller last saw: a
    finished task needs no further poll."""

    polls: bool
    latest: bytes | None = None


POLL: Final = Turn(polls=True)


class WaitCoordinator(Protocol):
    follow_interval_seconds: float

    async def take_turn(self, fingerprint: str, task_id: str, hold_seconds: float) -> Turn: ...

    async def publish(self, fingerprint: str, task_id: str, body: bytes) -> None: ...

    async def resign(self, fingerprint: str, task_id: str) -> None: ...


class LocalPolling:
    """`memory`: every process polls for its own waiters."""

    follow_interval_seconds = 0.0

    async def take_turn(self, fingerprint: str, task_id: str, hold_seconds: float) -> Turn:
        return POLL

    async def publish(self, fingerprint: str, task_id: str, body: bytes) -> None:
        """No other process reads it."""

    async def resign(self, fingerprint: str, task_id: str) -> None:
        """No lease to give up."""


class RedisWaitLeases:
    def __init__(self, link: RedisLink, settings: StateSettings) -> None:
        self._link = link
        self._lease_seconds = settings.wait_lease_seconds
        self.follow_interval_seconds = settings.wait_follow_interval_seconds
        self._holder = secrets.token_hex(8)
        self._take_turn: AsyncScript = link.client.register_script(_TAKE_TURN)

    def _keys(self, fingerprint: str, task_id: str) -> list[str]:
        return [
            self._link.key("wait", fingerprint, task_id, "lease"),
            self._link.key("wait", fingerprint, task_id, "latest"),
        ]

    async def take_turn(self, fingerprint: str, task_id: str, hold_seconds: float) -> Turn:
        """Holds the lease for the coming interval plus `state.wait_lease_seconds` of slack."""
        lease_ms = round((hold_seconds + self._lease_seconds) * 1000)
        keys = self._keys(fingerprint, task_id)
        try:
            answer: list[Any] = await self._link.run(
                _STORE, lambda client: self._take_turn(keys=keys, args=[self._holder, lease_ms])
            )
        except StateUnavailable:
            return POLL  # alone, this process polls for its own waiters
        latest = answer[1] if len(answer) > 1 and isinstance(answer[1], bytes) else None
        return Turn(polls=answer[0] == 1, latest=latest)

    async def publish(self, fingerprint: str, task_id: str, body: bytes) -> None:
        latest = self._keys(fingerprint, task_id)[1]
        try:
            await self._link.run(_STORE, lambda client: client.set(latest, body, px=_LATEST_TTL_MS))
        except StateUnavailable:
            return

    async def resign(self, fingerprint: str, task_id: str) -> None:
        lease = self._keys(fingerprint, task_id)[0]
        await self._link.release(_STORE, lease, self._holder)
