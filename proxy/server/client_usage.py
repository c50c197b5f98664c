"""Counts each client's requests for the migration report, cheaply, and flushes them in batches.

On the request path `record` only bumps counters in a plain dict (a client's tally is made on its
first request of a batch); no clock is read, nothing is awaited or locked. Every
`clients.flush_seconds` a background task hands the batch to the store (this process's memory, or
Redis for every replica), stamped with the time of the flush: first and last sightings are
therefore accurate to within one flush interval.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Collection, Mapping
from typing import Any, Final

from aiohttp import hdrs, web

from proxy.clock import Clock
from proxy.config import ClientReportSettings
from proxy.core.client_report import build_report
from proxy.core.client_usage import (
    ERRORS,
    OTHER,
    ROUTE,
    VERSION,
    ClientMeta,
    Counts,
    UsageSnapshot,
    snapshot_of,
)
from proxy.server.convert import MODA_VERSION
from proxy.state.clients import ClientStore, report_limits

_log = logging.getLogger(__name__)
# Set by translations that fill a field the upstream no longer sends (see docs/operations.md).
DERIVED_HEADER: Final = "Moda-Compat-Derived"
_PREFER: Final = "Prefer"
_WAIT: Final = "wait"
_ERROR_STATUS: Final = 400


class _Tally:
    __slots__ = ("agents", "errors", "flags", "routes", "version", "versions")

    def __init__(self, version: str) -> None:
        self.version = version
        self.routes: Counts = {}
        self.versions: Counts = {}
        self.agents: Counts = {}
        self.errors = 0
        self.flags: Counts = {"pinned": 0, "unpinned": 0, "waits": 0, "webhooks": 0, "derived": 0}

    def count_capped(self, counts: Counts, name: str, most: int) -> None:
        if name in counts:
            counts[name] += 1
        elif len(counts) < most:
            counts[name] = 1
        else:
            counts[OTHER] = counts.get(OTHER, 0) + 1

    def meta(self, now: float, agent_chars: int) -> ClientMeta:
        agents: Counts = {}
        for agent, count in self.agents.items():
            cut = agent[:agent_chars]
            agents[cut] = agents.get(cut, 0) + count
        flags = {flag: count for flag, count in self.flags.items() if count}
        return ClientMeta(now, now, self.version, flags, agents)

    def counts(self) -> Counts:
        counts = {ROUTE + route: count for route, count in self.routes.items()}
        counts.update((VERSION + version, count) for version, count in self.versions.items())
        if self.errors:
            counts[ERRORS] = self.errors
        return counts


class ClientUsage:
    def __init__(
        self,
        settings: ClientReportSettings,
        store: ClientStore,
        clock: Clock,
        *,
        upstream: str,
        served: Collection[str],
        names: Mapping[str, str],
    ) -> None:
        self.limits = report_limits(settings)
        self._settings, self._store, self._clock = settings, store, clock
        self.upstream, self.names = upstream, names
        self._served = frozenset(served)
        self._tallies: dict[str, _Tally] = {}

    def _tally(self, fingerprint: str, version: str) -> _Tally:
        tally = self._tallies.get(fingerprint)
        if tally is None:
            if len(self._tallies) >= self.limits.max_clients:
                fingerprint = OTHER
                tally = self._tallies.get(OTHER)
            if tally is None:
                tally = self._tallies[fingerprint] = _Tally(version)
        return tally

    def record(
        self,
        request: web.Request,
        response: web.StreamResponse,
        route: str,
        version: str,
        fingerprint: str | None,
    ) -> None:
        """Counts one answered request, by its credential's `fingerprint`; requests with no
        credential or no version are not."""
        if fingerprint is None or version not in self._served:
            return
        tally = self._tally(fingerprint, version)
        tally.version = version
        tally.count_capped(tally.routes, route, self.limits.max_routes)
        tally.versions[version] = tally.versions.get(version, 0) + 1
        if response.status >= _ERROR_STATUS:
            tally.errors += 1
        headers, flags = request.headers, tally.flags
        flags["pinned" if MODA_VERSION in headers else "unpinned"] += 1
        if _WAIT in headers.get(_PREFER, ""):
            flags["waits"] += 1
        if DERIVED_HEADER in response.headers:
            flags["derived"] += 1
        agent = headers.get(hdrs.USER_AGENT)
        if agent:
            tally.count_capped(tally.agents, agent, self.limits.max_agents)

    def uses_webhooks(self, fingerprint: str | None, version: str) -> None:
        """A callback_url relayed for this client, or an event delivered to it."""
        if fingerprint is not None and version in self._served:
            self._tally(fingerprint, version).flags["webhooks"] += 1

    def _now(self) -> float:
        return self._clock.wall().timestamp()

    async def flush(self) -> None:
        """Hands the batch to the store, even an empty one: it may hold counts to send again."""
        tallies, self._tallies = self._tallies, {}
        now = self._now()
        chars = self.limits.agent_chars
        metas = {fp: tally.meta(now, chars) for fp, tally in tallies.items()}
        counts = {fp: tally.counts() for fp, tally in tallies.items()}
        await self._store.apply(snapshot_of(metas, counts, now), now)

    async def snapshot(self) -> UsageSnapshot:
        """Everything the store holds, this process's latest counts included."""
        await self.flush()
        return await self._store.read(self._now())

    def report(self, snapshot: UsageSnapshot) -> dict[str, Any]:
        return build_report(
            snapshot, self._now(), upstream=self.upstream, names=self.names, limits=self.limits
        )

    async def forget(self, fingerprint: str) -> bool:
        counted = self._tallies.pop(fingerprint, None) is not None
        return await self._store.forget(fingerprint, self._now()) or counted

    async def _flush_every_interval(self) -> None:
        # Real time, not the injected clock: a test's fake clock would make this loop spin.
        while True:
            await asyncio.sleep(self._settings.flush_seconds)
            try:
                await self.flush()
            except Exception:
                _log.exception("the migration report's counts could not be flushed")

    async def lifecycle(self, app: web.Application) -> AsyncIterator[None]:
        """cleanup_ctx: flushes in the background while the app runs, and once more at the end."""
        flusher = asyncio.ensure_future(self._flush_every_interval())
        yield
        flusher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await flusher
        await self.flush()
