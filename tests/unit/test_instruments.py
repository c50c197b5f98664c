"""Per-request metrics kept as plain numbers export exactly what prometheus_client's own metrics
would, fed the same observations."""

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from proxy.instruments import RequestInstruments
from proxy.metrics import REQUEST_SERIES, SeriesSpec

LEGACY, CANONICAL, ROUTE = "2026-04-12", "2026-05-01", "GET /v1/tasks/{id}"


def _exposition(registry: CollectorRegistry) -> list[str]:
    # `_created` samples carry the moment each child was made, which differs between registries.
    text = generate_latest(registry).decode()
    return [line for line in text.splitlines() if "_created" not in line]


def _counter(spec: SeriesSpec, registry: CollectorRegistry) -> Counter:
    return Counter(spec.name, spec.help, spec.labels, registry=registry)


def _histogram(spec: SeriesSpec, registry: CollectorRegistry) -> Histogram:
    return Histogram(spec.name, spec.help, spec.labels, registry=registry, buckets=spec.buckets)


def test_plain_counts_export_the_same_series_and_values_as_the_client_library() -> None:
    library_registry, registry = CollectorRegistry(), CollectorRegistry()
    specs, into = REQUEST_SERIES, library_registry
    requests, seconds = _counter(specs[0], into), _histogram(specs[1], into)
    upstream, translation = _histogram(specs[2], into), _histogram(specs[3], into)
    failures, unsupported, legacy = (_counter(spec, into) for spec in specs[4:])
    instruments = RequestInstruments(registry)
    observations = ((LEGACY, 200, 0.01), (LEGACY, 201, 0.2), (CANONICAL, 404, 0.003),
                    (LEGACY, 200, 1.5), (CANONICAL, 503, 45.0), (LEGACY, 200, 0.001))  # fmt: skip
    for version, status, took in observations:
        requests.labels(version, ROUTE, f"{status // 100}xx").inc()
        seconds.labels(version, ROUTE).observe(took)
        upstream.labels(ROUTE).observe(took / 2)
        legacy.labels("anonymous").inc()
        bound = instruments.route(version, ROUTE)
        bound.answered(status, took)
        bound.upstream_took(took / 2)
        instruments.legacy_request("anonymous")
        if version == LEGACY:
            translation.labels(version, ROUTE).observe(took / 10)
            bound.translation_took(took / 10)
    failures.labels("task_status").inc()
    instruments.translation_failed("task_status")
    unsupported.inc()
    instruments.unsupported_version()
    assert _exposition(registry) == _exposition(library_registry)


def test_nothing_is_exported_for_a_route_before_a_request_observes_it() -> None:
    registry = CollectorRegistry()
    instruments = RequestInstruments(registry)
    instruments.route(LEGACY, ROUTE).answered(200, 0.01)
    exported = "\n".join(_exposition(registry))
    assert "proxy_translation_duration_seconds_count" not in exported
    assert "proxy_upstream_request_duration_seconds_count" not in exported
    assert ROUTE in exported
