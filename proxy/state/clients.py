"""Where the migration report's counts live: this process's memory, or Redis for every replica.

With `redis`, a flush is two round trips whatever its size: one admits new fingerprints under the
client cap (one sorted set scored by last sighting, shared by all replicas), one pipelines the
HINCRBYs of every count. Each slot is one hash, its fields `<fingerprint>|<field>`, expiring with
its window; a client's record expires after the retention. When Redis fails, the batch is kept and
sent with the next flush; meanwhile the report reads what this process holds.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Final, Protocol

from proxy.config import ClientReportSettings
from proxy.core.client_usage import (
    DAY,
    OTHER,
    STEPS,
    ClientMeta,
    Limits,
    UsageSnapshot,
    forget,
    kept_seconds,
    merge_into,
    oldest_slot,
    prune,
)
from proxy.state.link import RedisLink, StateUnavailable

if TYPE_CHECKING:
    from redis.asyncio import Redis as RedisClient
    from redis.asyncio.client import Pipeline

_STORE: Final = "clients"
_SEPARATOR: Final = "|"
# The fingerprint kept: the client's own while under the cap (or already known), else `other`.
_ADMIT: Final = """
if redis.call('ZSCORE', KEYS[1], ARGV[1]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], 'GT', ARGV[2], ARGV[1])
  return ARGV[1]
end
redis.call('ZADD', KEYS[1], 'GT', ARGV[2], ARGV[4])
return ARGV[4]
"""
_META: Final = """
local first = tonumber(redis.call('HGET', KEYS[1], 'first_seen') or ARGV[1])
redis.call('HSET', KEYS[1], 'first_seen', math.min(first, tonumber(ARGV[1])))
if tonumber(ARGV[2]) >= tonumber(redis.call('HGET', KEYS[1], 'last_seen') or '0') then
  redis.call('HSET', KEYS[1], 'last_seen', ARGV[2], 'version', ARGV[3])
end
redis.call('EXPIRE', KEYS[1], ARGV[4])
"""
# New user agents only while fewer than the cap are held; the rest count as `other`.
_AGENTS: Final = """
for i = 3, #ARGV, 2 do
  local agent = ARGV[i]
  if redis.call('HEXISTS', KEYS[1], agent) == 0
      and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[1]) then
    agent = ARGV[2]
  end
  redis.call('HINCRBY', KEYS[1], agent, ARGV[i + 1])
end
"""


def report_limits(settings: ClientReportSettings) -> Limits:
    return Limits(
        max_clients=settings.max_clients,
        max_routes=settings.max_routes_per_client,
        max_agents=settings.max_user_agents,
        agent_chars=settings.user_agent_chars,
        retention_days=settings.retention_days,
    )


class ClientStore(Protocol):
    async def apply(self, batch: UsageSnapshot, now: float) -> None: ...

    async def read(self, now: float) -> UsageSnapshot: ...

    async def forget(self, fingerprint: str, now: float) -> bool: ...


class MemoryClients:
    def __init__(self, limits: Limits) -> None:
        self._limits = limits
        self._held = UsageSnapshot()

    async def apply(self, batch: UsageSnapshot, now: float) -> None:
        merge_into(self._held, batch, self._limits)
        prune(self._held, now, self._limits.retention_days)

    async def read(self, now: float) -> UsageSnapshot:
        prune(self._held, now, self._limits.retention_days)
        return self._held

    async def forget(self, fingerprint: str, now: float) -> bool:
        return forget(self._held, fingerprint)


class RedisClients:
    def __init__(self, link: RedisLink, limits: Limits) -> None:
        self._link, self._limits = link, limits
        self._retention = limits.retention_days * DAY.seconds
        self._unsent = UsageSnapshot()
        # One exchange with Redis at a time: a flush and a report read may overlap (a report
        # flushes first). Without it, counts on their way to Redis could be sent twice, or read
        # both from Redis and from `_unsent`.
        self._exchange = asyncio.Lock()
        self._admit = link.client.register_script(_ADMIT)
        self._meta = link.client.register_script(_META)
        self._agents = link.client.register_script(_AGENTS)
        self._index = link.key("clients", "index")

    def _slot_key(self, step: str, slot: int) -> str:
        return self._link.key("clients", step, str(slot))

    def _slot_keys(self, now: float) -> list[tuple[str, int, str]]:
        return [
            (step.name, slot, self._slot_key(step.name, slot))
            for step in STEPS
            for slot in range(
                oldest_slot(step, now, self._limits.retention_days), step.slot(now) + 1
            )
        ]

    async def apply(self, batch: UsageSnapshot, now: float) -> None:
        async with self._exchange:
            merge_into(self._unsent, batch, self._limits)
            prune(self._unsent, now, self._limits.retention_days)
            if not self._unsent.clients:
                return
            try:
                await self._link.run(_STORE, lambda client: self._send(client, now))
            except StateUnavailable:
                return  # kept for the next flush
            self._unsent = UsageSnapshot()

    async def _send(self, client: RedisClient, now: float) -> None:
        unsent = self._unsent
        max_clients = self._limits.max_clients
        async with client.pipeline(transaction=False) as pipe:
            for fp, meta in unsent.clients.items():
                args: list[str | float] = [fp, meta.last_seen, max_clients, OTHER]
                await self._admit(keys=[self._index], args=args, client=pipe)
            admitted = await pipe.execute()
        kept = {fp: bytes(held).decode() for fp, held in zip(unsent.clients, admitted, strict=True)}
        async with client.pipeline(transaction=False) as pipe:
            for fp, meta in unsent.clients.items():
                await self._write_meta(pipe, kept[fp], meta)
            for step in STEPS:
                lasting = kept_seconds(step, self._limits.retention_days) + step.seconds
                for slot, by_client in unsent.slots[step.name].items():
                    key = self._slot_key(step.name, slot)
                    for fp, fields in by_client.items():
                        for name, count in fields.items():
                            pipe.hincrby(key, kept.get(fp, fp) + _SEPARATOR + name, count)
                    pipe.expire(key, lasting)
            pipe.zremrangebyscore(self._index, "-inf", now - self._retention)
            await pipe.execute()

    async def _write_meta(self, pipe: Pipeline, fp: str, meta: ClientMeta) -> None:
        key = self._link.key("clients", "meta", fp)
        values: list[str | float] = [meta.first_seen, meta.last_seen, meta.version, self._retention]
        await self._meta(keys=[key], args=values, client=pipe)
        for flag, count in meta.flags.items():
            pipe.hincrby(key, "f:" + flag, count)
        if meta.agents:
            agents = self._link.key("clients", "agents", fp)
            args: list[str | int] = [self._limits.max_agents, OTHER]
            for agent, count in meta.agents.items():
                args += (agent, count)
            await self._agents(keys=[agents], args=args, client=pipe)
            pipe.expire(agents, self._retention)

    async def read(self, now: float) -> UsageSnapshot:
        async with self._exchange:
            try:
                return await self._link.run(_STORE, lambda client: self._read(client, now))
            except StateUnavailable:
                prune(self._unsent, now, self._limits.retention_days)
                return self._unsent

    async def _read(self, client: RedisClient, now: float) -> UsageSnapshot:
        await client.zremrangebyscore(self._index, "-inf", now - self._retention)
        members = await client.zrange(self._index, 0, -1)
        fingerprints = [fp.decode() for fp in members if isinstance(fp, bytes)]
        slot_keys = self._slot_keys(now)
        async with client.pipeline(transaction=False) as pipe:
            for fp in fingerprints:
                pipe.hgetall(self._link.key("clients", "meta", fp))
                pipe.hgetall(self._link.key("clients", "agents", fp))
            for _, _, key in slot_keys:
                pipe.hgetall(key)
            answers = await pipe.execute()
        snapshot = UsageSnapshot()
        for index, fp in enumerate(fingerprints):
            meta = _meta(answers[2 * index], answers[2 * index + 1])
            if meta is not None:
                snapshot.clients[fp] = meta
        for (step, slot, _), fields in zip(
            slot_keys, answers[2 * len(fingerprints) :], strict=True
        ):
            if fields:
                snapshot.slots[step][slot] = _slot(fields, snapshot.clients)
        merge_into(snapshot, self._unsent, self._limits)
        return snapshot

    async def forget(self, fingerprint: str, now: float) -> bool:
        """Raises StateUnavailable when Redis is away: a client cannot be forgotten there then."""
        unsent = forget(self._unsent, fingerprint)
        shared = await self._link.run(_STORE, lambda client: self._forget(client, fingerprint, now))
        return shared or unsent

    async def _forget(self, client: RedisClient, fingerprint: str, now: float) -> bool:
        removed = await client.zrem(self._index, fingerprint)
        prefix = (fingerprint + _SEPARATOR).encode()
        slot_keys = self._slot_keys(now)
        async with client.pipeline(transaction=False) as pipe:
            pipe.delete(self._link.key("clients", "meta", fingerprint))
            pipe.delete(self._link.key("clients", "agents", fingerprint))
            for _, _, key in slot_keys:
                pipe.hkeys(key)
            answers = await pipe.execute()
        async with client.pipeline(transaction=False) as pipe:
            for (_, _, key), names in zip(slot_keys, answers[2:], strict=True):
                mine = [name for name in names if name.startswith(prefix)]
                if mine:
                    pipe.hdel(key, *mine)
            await pipe.execute()
        return bool(removed)


def _meta(fields: dict[bytes, bytes], agents: dict[bytes, bytes]) -> ClientMeta | None:
    if b"last_seen" not in fields:
        return None
    flags = {
        name.decode()[2:]: int(value) for name, value in fields.items() if name.startswith(b"f:")
    }
    return ClientMeta(
        float(fields[b"first_seen"]),
        float(fields[b"last_seen"]),
        fields[b"version"].decode(),
        flags,
        {agent.decode(errors="replace"): int(count) for agent, count in agents.items()},
    )


def _slot(fields: dict[bytes, bytes], clients: dict[str, ClientMeta]) -> dict[str, dict[str, int]]:
    by_client: dict[str, dict[str, int]] = {}
    for name, count in fields.items():
        fp, _, field = name.decode().partition(_SEPARATOR)
        if fp in clients:
            by_client.setdefault(fp, {})[field] = int(count)
    return by_client
