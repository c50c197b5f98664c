"""Which webhook events were delivered (to refuse replays) or are being delivered right now.

A replay must carry a signature still inside the tolerance, so an id is kept only that long. With
`redis`, a claim is one `SET NX` that every replica sees: an event replayed to another replica is
refused, and two replicas never deliver one event at the same time. Each process also keeps its
own record, which answers alone while Redis is away.
"""

from __future__ import annotations

import secrets
from enum import Enum
from typing import TYPE_CHECKING, Final, Protocol

from proxy.metrics import InstrumentedCache
from proxy.state.link import RedisLink, StateUnavailable

if TYPE_CHECKING:
    from redis.commands.core import AsyncScript

_STORE: Final = "webhook_deliveries"
_DELIVERED: Final = b"delivered"
# The value now held: our token when the claim was won, else `delivered` or another's claim.
_CLAIM: Final = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return ARGV[1] end
return redis.call('GET', KEYS[1])
"""


class Claim(Enum):
    NEW = "new"
    DELIVERED = "delivered"
    IN_FLIGHT = "in_flight"


class DeliveryLedger(Protocol):
    async def claim(self, key: bytes) -> Claim: ...

    async def delivered(self, key: bytes) -> None: ...

    async def release(self, key: bytes) -> None: ...


class MemoryDeliveries:
    def __init__(self, delivered: InstrumentedCache[bytes, bool]) -> None:
        self._delivered = delivered
        self._in_flight: set[bytes] = set()

    async def claim(self, key: bytes) -> Claim:
        if self._delivered.lookup(key):
            return Claim.DELIVERED
        if key in self._in_flight:
            return Claim.IN_FLIGHT
        self._in_flight.add(key)
        return Claim.NEW

    async def delivered(self, key: bytes) -> None:
        self._in_flight.discard(key)
        self._delivered[key] = True

    async def release(self, key: bytes) -> None:
        self._in_flight.discard(key)


class RedisDeliveries:
    def __init__(
        self,
        link: RedisLink,
        fallback: MemoryDeliveries,
        *,
        replay_window_seconds: float,
        claim_seconds: float,
    ) -> None:
        self._link, self._fallback = link, fallback
        self._replay_ms = round(replay_window_seconds * 1000)
        self._claim_ms = round(claim_seconds * 1000)
        self._claim: AsyncScript = link.client.register_script(_CLAIM)
        self._claims: dict[bytes, bytes] = {}

    def _name(self, key: bytes) -> str:
        return self._link.key("delivery", key.hex())

    async def claim(self, key: bytes) -> Claim:
        local = await self._fallback.claim(key)
        if local is not Claim.NEW:
            return local
        token = secrets.token_hex(8).encode()
        try:
            holder = await self._link.run(
                _STORE,
                lambda client: self._claim(keys=[self._name(key)], args=[token, self._claim_ms]),
            )
        except StateUnavailable:
            return Claim.NEW  # the local claim stands alone
        if holder == token:
            self._claims[key] = token
            return Claim.NEW
        await self._fallback.release(key)
        return Claim.DELIVERED if holder == _DELIVERED else Claim.IN_FLIGHT

    async def delivered(self, key: bytes) -> None:
        await self._fallback.delivered(key)
        self._claims.pop(key, None)
        try:
            await self._link.run(
                _STORE, lambda client: client.set(self._name(key), _DELIVERED, px=self._replay_ms)
            )
        except StateUnavailable:
            return

    async def release(self, key: bytes) -> None:
        await self._fallback.release(key)
        token = self._claims.pop(key, None)
        if token is None:
            return
        await self._link.release(_STORE, self._name(key), token)
