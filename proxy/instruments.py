"""Per-request metrics as plain numbers on the event loop, turned into Prometheus series on scrape.

A prometheus_client child takes a lock on every increment, and a histogram finds its bucket with
a Python loop; a request made five such observations. Here a request bumps integers in slotted
objects (the bucket found by `bisect`, in C), and `RequestCollector` reads them when `/-/metrics`
is scraped, exporting the same names, labels and values the client library would. Series are made
by the first request that needs them, so no zero-valued series appears that no request produced.
Every count is touched only from the event loop; a scrape reads whole numbers, and derives each
histogram's count from its buckets, so what it exports is always consistent.
"""

from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from typing import Final, cast

from prometheus_client import CollectorRegistry, utils
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from proxy.metrics import LATENCY_BUCKETS, REQUEST_SERIES, TRANSLATION_BUCKETS, SeriesSpec

# How the client library writes a bucket's bound in `le` (untyped there).
_bound_label: Final = cast(Callable[[float], str], utils.floatToGoString)


class LoopHistogram:
    """A histogram's buckets (the last one +Inf) and sum."""

    __slots__ = ("_bounds", "counts", "total")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self._bounds = bounds
        self.counts = [0] * (len(bounds) + 1)
        self.total = 0.0

    def observe(self, value: float) -> None:
        # `le` is inclusive: the first bound at or above the value counts it.
        self.counts[bisect_left(self._bounds, value)] += 1
        self.total += value


class RouteInstruments:
    """The series of one (served version, route label)."""

    __slots__ = (
        "_answered",
        "_seconds",
        "_translation",
        "_upstream",
        "_upstreams",
        "route",
        "version",
    )

    def __init__(self, version: str, route: str, upstreams: dict[str, LoopHistogram]) -> None:
        self.version, self.route = version, route
        # Upstream time is labelled by route alone: one histogram per route, shared by versions.
        self._upstreams = upstreams
        self._answered: dict[str, int] = {}
        self._seconds = LoopHistogram(LATENCY_BUCKETS)
        self._upstream: LoopHistogram | None = None
        self._translation: LoopHistogram | None = None

    def answered(self, status: int, seconds: float) -> None:
        status_class = _STATUS_CLASSES[status // 100] if 0 < status < 600 else f"{status // 100}xx"
        self._answered[status_class] = self._answered.get(status_class, 0) + 1
        self._seconds.observe(seconds)

    def upstream_took(self, seconds: float) -> None:
        if self._upstream is None:
            self._upstream = self._upstreams.get(self.route)
            if self._upstream is None:
                self._upstream = self._upstreams[self.route] = LoopHistogram(LATENCY_BUCKETS)
        self._upstream.observe(seconds)

    def translation_took(self, seconds: float) -> None:
        if self._translation is None:
            self._translation = LoopHistogram(TRANSLATION_BUCKETS)
        self._translation.observe(seconds)


_STATUS_CLASSES = tuple(f"{number}xx" for number in range(6))


class RequestInstruments:
    """Every per-request metric, by the labels a request carries; exported by `collector()`."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self._routes: dict[tuple[str, str], RouteInstruments] = {}
        self._upstreams: dict[str, LoopHistogram] = {}
        self._failures: dict[str, int] = {}
        self._legacy: dict[str, int] = {}
        self._unsupported = 0
        if registry is not None:
            registry.register(RequestCollector(self))

    def route(self, version: str, route: str) -> RouteInstruments:
        key = (version, route)
        bound = self._routes.get(key)
        if bound is None:
            bound = self._routes[key] = RouteInstruments(version, route, self._upstreams)
        return bound

    def translation_failed(self, change: str) -> None:
        self._failures[change] = self._failures.get(change, 0) + 1

    def unsupported_version(self) -> None:
        self._unsupported += 1

    def legacy_request(self, client: str) -> None:
        self._legacy[client] = self._legacy.get(client, 0) + 1


class RequestCollector(Collector):
    def __init__(self, instruments: RequestInstruments) -> None:
        self._instruments = instruments

    def collect(self) -> Iterator[Metric]:
        # Snapshots first: a dict copied in one C call cannot change size under the loop.
        instruments = self._instruments
        routes = list(instruments._routes.values())
        requests, seconds, upstream, translation, failures, unsupported, legacy = REQUEST_SERIES
        counts = _counter(requests)
        for bound in routes:
            for status_class, count in list(bound._answered.items()):
                counts.add_metric((bound.version, bound.route, status_class), count)
        yield counts
        yield _histograms(seconds, [((b.version, b.route), b._seconds) for b in routes])
        upstreams = list(instruments._upstreams.items())
        yield _histograms(upstream, [((route,), histogram) for route, histogram in upstreams])
        yield _histograms(translation, [((b.version, b.route), b._translation) for b in routes])
        yield _counted(failures, list(instruments._failures.items()))
        rejected = _counter(unsupported)
        rejected.add_metric((), instruments._unsupported)
        yield rejected
        yield _counted(legacy, list(instruments._legacy.items()))


def _counter(spec: SeriesSpec) -> CounterMetricFamily:
    return CounterMetricFamily(spec.name, spec.help, labels=spec.labels)


def _counted(spec: SeriesSpec, counts: Sequence[tuple[str, int]]) -> CounterMetricFamily:
    family = _counter(spec)
    for label, count in counts:
        family.add_metric((label,), count)
    return family


def _histograms(
    spec: SeriesSpec, series: Sequence[tuple[tuple[str, ...], LoopHistogram | None]]
) -> HistogramMetricFamily:
    family = HistogramMetricFamily(spec.name, spec.help, labels=spec.labels)
    bounds = [_bound_label(bound) for bound in spec.buckets]
    bounds.append("+Inf")
    for labels, histogram in series:
        if histogram is None:
            continue
        counts = list(histogram.counts)
        running, cumulative = 0, []
        for bound, count in zip(bounds, counts, strict=True):
            running += count
            cumulative.append((bound, float(running)))
        family.add_metric(labels, cumulative, histogram.total)
    return family
