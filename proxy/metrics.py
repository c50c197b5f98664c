"""Every Prometheus metric the proxy exports, on an injected registry.

Per-request metrics are observed by the access middleware. Components that keep their own counts
(caches, the pagination walker, the wait hub, the webhook relay) are read at scrape time by a
collector, so they cost nothing on the request path. Labels are bounded: route templates (or
`unmatched`), versions, status classes, change names and a capped set of client names; never raw
paths, ids or credentials.
"""

from collections import Counter as Tally
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Final, Generic, TypeVar

from cachetools import TTLCache
from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

UNMATCHED: Final = "unmatched"
OTHER_CLIENTS: Final = "other"
ANONYMOUS: Final = "anonymous"
LATENCY_BUCKETS: Final = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
)
TRANSLATION_BUCKETS: Final = (0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05)
_K = TypeVar("_K")
_V = TypeVar("_V")


@dataclass(frozen=True)
class SeriesSpec:
    """A per-request metric: what proxy.instruments exports for it."""

    name: str
    help: str
    labels: tuple[str, ...] = ()
    buckets: tuple[float, ...] = ()


_ROUTE: Final = ("version", "route")
# In the order they are exported.
REQUEST_SERIES: Final = (
    SeriesSpec(
        "proxy_requests",
        "Requests answered, by served version, route template and status class.",
        ("version", "route", "status_class"),
    ),
    SeriesSpec("proxy_request_duration_seconds", "Whole request time.", _ROUTE, LATENCY_BUCKETS),
    SeriesSpec(
        "proxy_upstream_request_duration_seconds",
        "Time spent waiting for the upstream within one request.",
        ("route",),
        LATENCY_BUCKETS,
    ),
    SeriesSpec(
        "proxy_translation_duration_seconds",
        "Time spent translating one request and its answer.",
        _ROUTE,
        TRANSLATION_BUCKETS,
    ),
    SeriesSpec(
        "proxy_translation_failures",
        "Upstream answers a change could not translate.",
        ("change",),
    ),
    SeriesSpec(
        "proxy_unsupported_version_rejections",
        "Requests naming a Moda-Version the proxy does not serve.",
    ),
    SeriesSpec(
        "proxy_legacy_requests",
        "Requests served an older version than the upstream's, by client.",
        ("client",),
    ),
)


class DerivedFieldCounts:
    """Answers that carried each derived client field, by field name.

    Children are bound once here, one per name the changes declare, so the label set is bounded by
    the bundle and counting costs no `labels()` lookup per answer."""

    def __init__(self, registry: CollectorRegistry, names: Iterable[str]) -> None:
        counter = Counter(
            "proxy_derived_fields",
            "Translated answers in which the proxy derived a client field, by field name.",
            ("field",),
            registry=registry,
        )
        self._children = {name: counter.labels(name) for name in names}

    def count(self, names: list[str]) -> None:
        for name in names:
            self._children[name].inc()


class ClientNames:
    """Names clients by a configured name or a short fingerprint, at most `limit` distinct ones."""

    def __init__(self, names: dict[str, str], limit: int) -> None:
        self._names = names
        self._limit = limit
        self._seen: set[str] = set()

    def name(self, fingerprint: str | None) -> str:
        if fingerprint is None:
            return ANONYMOUS
        if fingerprint in self._names:
            return self._names[fingerprint]
        short = fingerprint[:12]
        if short in self._seen or len(self._seen) < self._limit:
            self._seen.add(short)
            return short
        return OTHER_CLIENTS


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    evictions: int = 0


class InstrumentedCache(TTLCache[_K, _V], Generic[_K, _V]):
    """A TTLCache that counts evictions for lack of room; its users count hits and misses."""

    def __init__(self, maxsize: int, ttl: float, timer: Callable[[], float]) -> None:
        super().__init__(maxsize, ttl, timer=timer)
        self.stats = CacheStats()

    def popitem(self) -> tuple[_K, _V]:
        item = super().popitem()
        self.stats.evictions += 1
        return item

    def lookup(self, key: _K) -> _V | None:
        value = self.get(key)
        if value is None:
            self.stats.misses += 1
        else:
            self.stats.hits += 1
        return value


@dataclass
class ComponentStats:
    """Counts components keep as plain integers, read when Prometheus scrapes."""

    caches: dict[str, CacheStats] = field(default_factory=dict)
    pagination_pages: Tally[str] = field(default_factory=Tally)
    wait_outcomes: Tally[str] = field(default_factory=Tally)
    wait_polls: int = 0
    waiters: int = 0
    webhook_relays: Tally[str] = field(default_factory=Tally)
    expiry_watches: Tally[str] = field(default_factory=Tally)
    state_backend: str = "memory"
    state_available: bool = True
    state_fallbacks: Tally[str] = field(default_factory=Tally)


class ComponentCollector(Collector):
    def __init__(self, stats: ComponentStats) -> None:
        self._stats = stats

    def collect(self) -> Iterator[Metric]:
        stats = self._stats
        cache = CounterMetricFamily(
            "proxy_cache_events", "Cache hits, misses and evictions.", labels=("cache", "event")
        )
        for name, counts in sorted(stats.caches.items()):
            for event in ("hits", "misses", "evictions"):
                cache.add_metric((name, event), getattr(counts, event))
        yield cache
        yield _tally(
            "proxy_pagination_upstream_pages",
            "Upstream pages walked for offset pages.",
            "route",
            stats.pagination_pages,
        )
        yield _tally(
            "proxy_prefer_wait", "Prefer: wait requests by outcome.", "outcome", stats.wait_outcomes
        )
        polls = CounterMetricFamily("proxy_prefer_wait_polls", "Upstream polls made for waiters.")
        polls.add_metric((), stats.wait_polls)
        yield polls
        yield GaugeMetricFamily(
            "proxy_prefer_waiters", "Requests held right now.", value=stats.waiters
        )
        yield _tally(
            "proxy_webhook_relays",
            "Webhook relay attempts by outcome.",
            "outcome",
            stats.webhook_relays,
        )
        yield _tally(
            "proxy_expiry_watches",
            "Tasks watched for expiry: started, read, notified, ended, aged_out.",
            "event",
            stats.expiry_watches,
        )
        up = GaugeMetricFamily(
            "proxy_state_backend_up",
            "1 while the configured state backend answers; 0 while per-process state stands in.",
            labels=("backend",),
        )
        up.add_metric((stats.state_backend,), 1 if stats.state_available else 0)
        yield up
        yield _tally(
            "proxy_state_fallbacks",
            "Operations served from per-process state because the shared backend failed.",
            "store",
            stats.state_fallbacks,
        )


def _tally(name: str, text: str, label: str, counts: Tally[str]) -> CounterMetricFamily:
    family = CounterMetricFamily(name, text, labels=(label,))
    for value, count in sorted(counts.items()):
        family.add_metric((value,), count)
    return family
