"""Where offset pagination keeps each list's checkpoints and total, per credential.

`memory` keeps a ListState per list in a TTL cache and lets the walk change it in place. `redis`
keeps each list as two sorted sets of cursors scored by position (anchors at multiples of the
upstream page size, and recent positions) plus its total, so a client whose next page reaches
another worker or replica still costs one upstream request. A page reads only the checkpoints it
can use (the nearest at or before its offset, and the farthest) and writes back what it learned.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any, Final, Protocol

from proxy.config import PaginationSettings
from proxy.core.pagination import Checkpoints, ListState, PageWalk
from proxy.metrics import CacheStats, InstrumentedCache
from proxy.state.link import RedisLink, StateUnavailable

if TYPE_CHECKING:
    from redis.asyncio import Redis as RedisClient
    from redis.asyncio.client import Pipeline

_RECENT_KEPT: Final = 16
_STORE: Final = "pagination"


def empty_list_state(settings: PaginationSettings) -> ListState:
    """What is known of a list never read before: nothing."""
    return ListState(Checkpoints(settings.max_anchors_per_list, settings.upstream_page_size))


def list_key(fingerprint: str, path: str, filters: object) -> str:
    return json.dumps([fingerprint, path, filters])


class ListStore(Protocol):
    async def load(self, key: str, offset: int) -> ListState: ...

    async def save(self, key: str, state: ListState, walk: PageWalk) -> None: ...


class MemoryLists:
    def __init__(self, settings: PaginationSettings, cache: InstrumentedCache[str, ListState]):
        self._settings = settings
        self._cache = cache

    async def load(self, key: str, offset: int) -> ListState:
        state = self._cache.lookup(key)
        if state is None:
            self._cache[key] = state = empty_list_state(self._settings)
        return state

    async def save(self, key: str, state: ListState, walk: PageWalk) -> None:
        """Nothing to write: the walk changed the cached state in place."""


def _positions(entries: list[tuple[bytes, float]]) -> list[tuple[int, str]]:
    return [(int(score), cursor.decode()) for cursor, score in entries]


class RedisLists:
    def __init__(
        self,
        settings: PaginationSettings,
        link: RedisLink,
        fallback: MemoryLists,
        stats: CacheStats,
    ) -> None:
        self._settings, self._link, self._fallback, self._stats = settings, link, fallback, stats

    def _keys(self, key: str) -> tuple[str, str, str]:
        digest = hashlib.blake2b(key.encode(), digest_size=16).hexdigest()
        return (
            self._link.key("list", digest, "anchors"),
            self._link.key("list", digest, "recent"),
            self._link.key("list", digest, "total"),
        )

    async def load(self, key: str, offset: int) -> ListState:
        anchors, recent, total = self._keys(key)

        async def read(client: RedisClient) -> list[Any]:
            pipe = client.pipeline(transaction=False)
            pipe.get(total)
            for name in (anchors, recent):
                pipe.zrevrangebyscore(name, offset, "-inf", start=0, num=2, withscores=True)
                pipe.zrevrange(name, 0, 0, withscores=True)
            return list(await pipe.execute())

        try:
            found = await self._link.run(_STORE, read)
        except StateUnavailable:
            return await self._fallback.load(key, offset)
        state = empty_list_state(self._settings)
        known_total, *checkpoint_lists = found
        if isinstance(known_total, bytes):
            state.total = int(known_total)
        for entries in checkpoint_lists:
            for position, cursor in _positions(entries):
                state.checkpoints.remember(position, cursor)
        if state.total is None and not len(state.checkpoints):
            self._stats.misses += 1
        else:
            self._stats.hits += 1
        return state

    async def save(self, key: str, state: ListState, walk: PageWalk) -> None:
        if not (walk.remembered or walk.forgotten or walk.total_learned):
            return
        anchors, recent, total = self._keys(key)
        settings = self._settings
        ttl = max(1, round(settings.ttl_seconds))

        def write(pipe: Pipeline) -> None:
            for position in walk.forgotten:
                pipe.zremrangebyscore(anchors, position, position)
                pipe.zremrangebyscore(recent, position, position)
            for position, cursor in walk.remembered:
                is_anchor = position % settings.upstream_page_size == 0
                pipe.zadd(anchors if is_anchor else recent, {cursor: position})
            # Anchors nearest the start serve every jump; recent ones serve reading on.
            pipe.zremrangebyrank(anchors, settings.max_anchors_per_list, -1)
            pipe.zremrangebyrank(recent, 0, -_RECENT_KEPT - 1)
            pipe.expire(anchors, ttl)
            pipe.expire(recent, ttl)
            if walk.total_learned and state.total is not None:
                pipe.set(total, state.total, ex=ttl)

        async def commit(client: RedisClient) -> None:
            pipe = client.pipeline(transaction=False)
            write(pipe)
            await pipe.execute()

        try:
            await self._link.run(_STORE, commit)
        except StateUnavailable:
            return  # the page is already answered; the next one walks a little further
