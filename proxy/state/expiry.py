"""Tasks watched for expiry: which, until when, and when each is read next.

`memory` keeps the watches of this process in a dict and a heap. `redis` keeps one record per watch
(`expiry:watch:<fingerprint>:<task id>`, living as long as the watch) and one sorted set
(`expiry:due`) of watches by next read time, so any replica, or a restarted process, reads them;
taking due watches moves them a lease ahead in the same script, so one replica reads each. The
client's credential is in Redis only sealed (proxy.state.sealing). While Redis is away, new watches
are kept in this process's memory.
"""

from __future__ import annotations

import base64
import heapq
import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Protocol

from proxy.state.link import RedisLink, StateUnavailable

if TYPE_CHECKING:
    from redis.asyncio import Redis as RedisClient
    from redis.commands.core import AsyncScript

    from proxy.state.sealing import CredentialSeal

_log = logging.getLogger(__name__)
_STORE: Final = "expiry_watches"
# Due watches (at most ARGV[3]), each moved to ARGV[2]; a member whose record lapsed is removed.
_TAKE_DUE: Final = """
local members = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
local taken = {}
for _, member in ipairs(members) do
  local record = redis.call('GET', ARGV[4] .. member)
  if record then
    redis.call('ZADD', KEYS[1], ARGV[2], member)
    table.insert(taken, member)
    table.insert(taken, record)
  else
    redis.call('ZREM', KEYS[1], member)
  end
end
return taken
"""

WatchKey = tuple[str, str]  # (credential fingerprint, task id)


@dataclass(frozen=True, slots=True)
class ExpiryWatch:
    """A task read until it ends; `until` and every due time are wall-clock seconds."""

    task_id: str
    fingerprint: str
    token: str  # the relay token of the task's callback: where and how the client hears
    until: float
    credential: str = field(repr=False)
    shared: bool = False

    @property
    def key(self) -> WatchKey:
        return (self.fingerprint, self.task_id)


class ExpiryWatches(Protocol):
    shared: bool

    async def start(self, watch: ExpiryWatch, due: float) -> None: ...

    async def take_due(self, now: float, lease_seconds: float, limit: int) -> list[ExpiryWatch]:
        """Watches due by `now`, each put off by `lease_seconds`: no one else reads it meanwhile."""

    async def later(self, watch: ExpiryWatch, due: float) -> None: ...

    async def end(self, fingerprint: str, task_id: str) -> None: ...

    async def next_due(self) -> float | None: ...


class MemoryExpiryWatches:
    shared = False

    def __init__(self) -> None:
        self._watches: dict[WatchKey, ExpiryWatch] = {}
        self._due: dict[WatchKey, float] = {}
        # Rescheduling pushes a new entry; an entry whose time is no longer the watch's is stale.
        self._heap: list[tuple[float, WatchKey]] = []

    def __len__(self) -> int:
        return len(self._watches)

    def _schedule(self, key: WatchKey, due: float) -> None:
        self._due[key] = due
        heapq.heappush(self._heap, (due, key))

    def _drop_stale(self) -> None:
        while self._heap and self._due.get(self._heap[0][1]) != self._heap[0][0]:
            heapq.heappop(self._heap)

    async def start(self, watch: ExpiryWatch, due: float) -> None:
        self._watches[watch.key] = watch
        self._schedule(watch.key, due)

    async def take_due(self, now: float, lease_seconds: float, limit: int) -> list[ExpiryWatch]:
        taken: list[ExpiryWatch] = []
        self._drop_stale()
        while self._heap and self._heap[0][0] <= now and len(taken) < limit:
            key = heapq.heappop(self._heap)[1]
            self._schedule(key, now + lease_seconds)
            taken.append(self._watches[key])
            self._drop_stale()
        return taken

    async def later(self, watch: ExpiryWatch, due: float) -> None:
        if watch.key in self._watches:
            self._schedule(watch.key, due)

    async def end(self, fingerprint: str, task_id: str) -> None:
        self._watches.pop((fingerprint, task_id), None)
        self._due.pop((fingerprint, task_id), None)

    async def next_due(self) -> float | None:
        self._drop_stale()
        return self._heap[0][0] if self._heap else None


class RedisExpiryWatches:
    shared = True

    def __init__(
        self, link: RedisLink, fallback: MemoryExpiryWatches, seal: CredentialSeal
    ) -> None:
        self._link, self._fallback, self._seal = link, fallback, seal
        self._due_key = link.key("expiry", "due")
        self._record_prefix = link.key("expiry", "watch", "")
        self._take_due: AsyncScript = link.client.register_script(_TAKE_DUE)

    def _record(self, watch: ExpiryWatch) -> bytes:
        member = _member(watch.key)
        sealed = self._seal.seal(watch.credential, member.encode())
        document = {"t": watch.token, "u": watch.until, "c": base64.b64encode(sealed).decode()}
        return json.dumps(document, separators=(",", ":")).encode()

    async def start(self, watch: ExpiryWatch, due: float) -> None:
        member, record = _member(watch.key), self._record(watch)
        life_ms = max(1, round((watch.until - due) * 1000) + 60_000)

        async def write(client: RedisClient) -> None:
            async with client.pipeline(transaction=True) as pipe:
                pipe.set(self._record_prefix + member, record, px=life_ms)
                pipe.zadd(self._due_key, {member: due})
                await pipe.execute()

        try:
            await self._link.run(_STORE, write)
        except StateUnavailable:
            await self._fallback.start(watch, due)

    async def take_due(self, now: float, lease_seconds: float, limit: int) -> list[ExpiryWatch]:
        taken = await self._fallback.take_due(now, lease_seconds, limit)
        args: list[str | float] = [now, now + lease_seconds, limit, self._record_prefix]
        try:
            answer: list[bytes] = await self._link.run(
                _STORE, lambda client: self._take_due(keys=[self._due_key], args=args)
            )
        except StateUnavailable:
            return taken
        for member, record in zip(answer[::2], answer[1::2], strict=True):
            fingerprint, _, task_id = member.decode().partition(":")
            watch = self._watch(fingerprint, task_id, record)
            if watch is not None:
                taken.append(watch)
                continue
            # Sealed under another relay secret, or damaged: it can never be read again.
            _log.warning("dropping an expiry watch whose credential cannot be opened")
            await self.end(fingerprint, task_id)
        return taken

    def _watch(self, fingerprint: str, task_id: str, record: bytes) -> ExpiryWatch | None:
        try:
            document: dict[str, Any] = json.loads(record)
            sealed = base64.b64decode(document["c"])
            token, until = str(document["t"]), float(document["u"])
        except (ValueError, KeyError, TypeError):
            return None
        credential = self._seal.open(sealed, _member((fingerprint, task_id)).encode())
        if credential is None:
            return None
        return ExpiryWatch(task_id, fingerprint, token, until, credential, shared=True)

    async def later(self, watch: ExpiryWatch, due: float) -> None:
        if not watch.shared:
            await self._fallback.later(watch, due)
            return
        member = _member(watch.key)
        try:
            # XX: a watch ended meanwhile (a relayed terminal event) is not brought back.
            await self._link.run(
                _STORE, lambda client: client.zadd(self._due_key, {member: due}, xx=True)
            )
        except StateUnavailable:
            return  # it is read again when its lease lapses

    async def end(self, fingerprint: str, task_id: str) -> None:
        await self._fallback.end(fingerprint, task_id)
        member = _member((fingerprint, task_id))

        async def remove(client: RedisClient) -> None:
            async with client.pipeline(transaction=True) as pipe:
                pipe.delete(self._record_prefix + member)
                pipe.zrem(self._due_key, member)
                await pipe.execute()

        try:
            await self._link.run(_STORE, remove)
        except StateUnavailable:
            return

    async def next_due(self) -> float | None:
        local = await self._fallback.next_due()
        try:
            first: list[Any] = await self._link.run(
                _STORE, lambda client: client.zrange(self._due_key, 0, 0, withscores=True)
            )
        except StateUnavailable:
            return local
        shared = float(first[0][1]) if first else None
        return min((due for due in (local, shared) if due is not None), default=None)


def _member(key: WatchKey) -> str:
    return f"{key[0]}:{key[1]}"
