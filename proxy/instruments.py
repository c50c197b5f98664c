"""The metric children a request observes, looked up once and then kept.

`labels()` validates its arguments and takes its metric's lock on every call, and a request made
five such calls. Here each child is bound by the first request that needs it and kept in a plain
dict; the label sets are bounded (route templates, versions, status codes, change names, capped
client names), so the dicts stay small. Children are bound on first use rather than at start-up
because a bound child is exported: binding every (version, route) up front would add zero-valued
series to `/-/metrics` that no request ever produced.
"""

from prometheus_client import Counter, Histogram

from proxy.metrics import RequestMetrics


class RouteInstruments:
    """The children of one (served version, route label)."""

    __slots__ = (
        "_answered",
        "_metrics",
        "_route",
        "_seconds",
        "_translation",
        "_upstream",
        "_version",
    )

    def __init__(self, metrics: RequestMetrics, version: str, route: str) -> None:
        self._metrics = metrics
        self._version = version
        self._route = route
        self._answered: dict[int, Counter] = {}
        self._seconds = metrics.request_seconds.labels(version, route)
        self._upstream: Histogram | None = None
        self._translation: Histogram | None = None

    def answered(self, status: int, seconds: float) -> None:
        counter = self._answered.get(status)
        if counter is None:
            status_class = f"{status // 100}xx"
            counter = self._metrics.requests.labels(self._version, self._route, status_class)
            self._answered[status] = counter
        counter.inc()
        self._seconds.observe(seconds)

    def upstream_took(self, seconds: float) -> None:
        if self._upstream is None:
            self._upstream = self._metrics.upstream_seconds.labels(self._route)
        self._upstream.observe(seconds)

    def translation_took(self, seconds: float) -> None:
        if self._translation is None:
            self._translation = self._metrics.translation_seconds.labels(self._version, self._route)
        self._translation.observe(seconds)


class RequestInstruments:
    """Every per-request metric, by the labels a request carries."""

    def __init__(self, metrics: RequestMetrics) -> None:
        self._metrics = metrics
        self._routes: dict[tuple[str, str], RouteInstruments] = {}
        self._failures: dict[str, Counter] = {}
        self._legacy: dict[str, Counter] = {}

    def route(self, version: str, route: str) -> RouteInstruments:
        key = (version, route)
        bound = self._routes.get(key)
        if bound is None:
            bound = self._routes[key] = RouteInstruments(self._metrics, version, route)
        return bound

    def translation_failed(self, change: str) -> None:
        counter = self._failures.get(change)
        if counter is None:
            counter = self._failures[change] = self._metrics.translation_failures.labels(change)
        counter.inc()

    def unsupported_version(self) -> None:
        self._metrics.unsupported_versions.inc()

    def legacy_request(self, client: str) -> None:
        counter = self._legacy.get(client)
        if counter is None:
            counter = self._legacy[client] = self._metrics.legacy_requests.labels(client)
        counter.inc()
