"""Where the team id of each credential is remembered, for changes that put `team_id` back."""

from typing import Final, Protocol

from proxy.metrics import InstrumentedCache
from proxy.state.link import RedisLink, StateUnavailable

# A key's team does not change; an hour bounds how long a moved key could show the old one.
TEAM_TTL_SECONDS: Final = 3600
_STORE: Final = "team_ids"


class TeamStore(Protocol):
    async def get(self, fingerprint: str) -> str | None: ...

    async def put(self, fingerprint: str, team_id: str) -> None: ...


class MemoryTeams:
    def __init__(self, cache: InstrumentedCache[str, str]) -> None:
        self._cache = cache

    async def get(self, fingerprint: str) -> str | None:
        return self._cache.lookup(fingerprint)

    async def put(self, fingerprint: str, team_id: str) -> None:
        self._cache[fingerprint] = team_id


class RedisTeams:
    """Shared between replicas; each process's own cache answers while Redis is away."""

    def __init__(self, link: RedisLink, fallback: MemoryTeams) -> None:
        self._link, self._fallback = link, fallback

    async def get(self, fingerprint: str) -> str | None:
        try:
            found = await self._link.run(
                _STORE, lambda client: client.get(self._link.key("team", fingerprint))
            )
        except StateUnavailable:
            return await self._fallback.get(fingerprint)
        return found.decode() if isinstance(found, bytes) else None

    async def put(self, fingerprint: str, team_id: str) -> None:
        await self._fallback.put(fingerprint, team_id)
        try:
            await self._link.run(
                _STORE,
                lambda client: client.set(
                    self._link.key("team", fingerprint), team_id, ex=TEAM_TTL_SECONDS
                ),
            )
        except StateUnavailable:
            return
