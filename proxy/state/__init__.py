"""State the proxy keeps between requests, in this process (`memory`) or shared (`redis`).

Six things are remembered, each keyed by credential fingerprint: offset-pagination checkpoints
and totals, each credential's team id, delivered webhook ids, who polls a waited-on task, the
migration report's counts, and the tasks read for expiry (the one place a credential is kept, in
Redis only sealed). `memory` keeps them in each process, in bounded caches where they can be
forgotten. `redis` shares them between workers and replicas, so their guarantees (one upstream
request per page, one poll stream per task, a webhook replay refused anywhere, one report, an
expiry told once) hold across all of them. When Redis fails, each process falls back to its own
memory until Redis answers again.
"""

import logging
from dataclasses import dataclass
from typing import Any, Final

from proxy.clock import Clock
from proxy.config import Settings
from proxy.core.pagination import ListState
from proxy.metrics import ComponentStats, InstrumentedCache
from proxy.state.clients import ClientStore, MemoryClients, RedisClients, report_limits
from proxy.state.deliveries import Claim, DeliveryLedger, MemoryDeliveries, RedisDeliveries
from proxy.state.expiry import ExpiryWatches, MemoryExpiryWatches, RedisExpiryWatches
from proxy.state.link import RedisLink, connect
from proxy.state.lists import ListStore, MemoryLists, RedisLists, empty_list_state, list_key
from proxy.state.teams import TEAM_TTL_SECONDS, MemoryTeams, RedisTeams, TeamStore
from proxy.state.waits import LocalPolling, RedisWaitLeases, Turn, WaitCoordinator

__all__ = [
    "Claim",
    "ClientStore",
    "DeliveryLedger",
    "ExpiryWatches",
    "ListStore",
    "SharedState",
    "TeamStore",
    "Turn",
    "WaitCoordinator",
    "build_state",
    "empty_list_state",
    "list_key",
]
_log = logging.getLogger(__name__)
_CLOCK_SKEW_SECONDS: Final = 60.0
# A claimed delivery lapses after the longest delivery plus slack, should its holder die.
_CLAIM_SLACK_SECONDS: Final = 10.0


@dataclass(frozen=True)
class SharedState:
    lists: ListStore
    teams: TeamStore
    deliveries: DeliveryLedger
    waits: WaitCoordinator
    clients: ClientStore
    expiry: ExpiryWatches
    link: RedisLink | None = None

    async def open(self) -> None:
        if self.link is not None and not await self.link.check():
            _log.warning("Redis does not answer at start-up: serving from per-process state")

    async def close(self) -> None:
        if self.link is not None:
            await self.link.close()

    def describe(self) -> dict[str, Any]:
        """For readiness: the backend, and with `redis` whether it answers right now."""
        if self.link is None:
            return {"backend": "memory"}
        if self.link.available:
            return {"backend": "redis", "redis": "up"}
        return {"backend": "redis", "redis": "down", "error": self.link.last_error}


def build_state(
    settings: Settings, clock: Clock, stats: ComponentStats, relay_key: bytes
) -> SharedState:
    """`relay_key` seals the credentials of expiry watches kept in Redis."""
    paging, webhooks = settings.pagination, settings.webhooks
    lists: InstrumentedCache[str, ListState] = InstrumentedCache(
        paging.max_lists, paging.ttl_seconds, timer=clock.now
    )
    teams: InstrumentedCache[str, str] = InstrumentedCache(
        paging.max_lists, TEAM_TTL_SECONDS, timer=clock.now
    )
    # A replay must carry a signature still inside the tolerance, so an id needs keeping only
    # that long (plus clock skew); the key is a 16-byte digest to keep each entry small.
    replay_window = webhooks.timestamp_tolerance_seconds + _CLOCK_SKEW_SECONDS
    delivered: InstrumentedCache[bytes, bool] = InstrumentedCache(
        webhooks.remembered_deliveries, replay_window, timer=clock.now
    )
    stats.caches.update(
        pagination=lists.stats, team_ids=teams.stats, webhook_deliveries=delivered.stats
    )
    memory_lists, memory_teams = MemoryLists(paging, lists), MemoryTeams(teams)
    memory_deliveries = MemoryDeliveries(delivered)
    limits = report_limits(settings.clients)
    if settings.state.backend == "memory":
        return SharedState(
            memory_lists,
            memory_teams,
            memory_deliveries,
            LocalPolling(),
            MemoryClients(limits),
            MemoryExpiryWatches(),
        )
    # Only a shared backend keeps sealed credentials: the cipher is loaded for it alone.
    from proxy.state.sealing import CredentialSeal

    link = RedisLink(connect(settings.state), settings.state, stats, clock)
    return SharedState(
        RedisLists(paging, link, memory_lists, lists.stats),
        RedisTeams(link, memory_teams),
        RedisDeliveries(
            link,
            memory_deliveries,
            replay_window_seconds=replay_window,
            claim_seconds=webhooks.delivery_timeout_seconds + _CLAIM_SLACK_SECONDS,
        ),
        RedisWaitLeases(link, settings.state),
        RedisClients(link, limits),
        RedisExpiryWatches(link, MemoryExpiryWatches(), CredentialSeal(relay_key)),
        link,
    )
