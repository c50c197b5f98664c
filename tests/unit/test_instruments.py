"""Metric children bound once and kept export exactly what per-request labels() calls did."""

from prometheus_client import CollectorRegistry, generate_latest

from proxy.instruments import RequestInstruments
from proxy.metrics import RequestMetrics

LEGACY, ROUTE = "2026-04-12", "GET /v1/tasks/{id}"


def _exposition(registry: CollectorRegistry) -> list[str]:
    # `_created` samples carry the moment each child was made, which differs between registries.
    text = generate_latest(registry).decode()
    return [line for line in text.splitlines() if "_created" not in line]


def test_bound_children_export_the_same_series_and_values_as_labels_calls() -> None:
    direct_registry, bound_registry = CollectorRegistry(), CollectorRegistry()
    direct = RequestMetrics.create(direct_registry)
    instruments = RequestInstruments(RequestMetrics.create(bound_registry))
    for status, seconds in ((200, 0.01), (201, 0.2), (404, 0.003), (200, 1.5)):
        direct.requests.labels(LEGACY, ROUTE, f"{status // 100}xx").inc()
        direct.request_seconds.labels(LEGACY, ROUTE).observe(seconds)
        direct.upstream_seconds.labels(ROUTE).observe(seconds / 2)
        direct.translation_seconds.labels(LEGACY, ROUTE).observe(seconds / 10)
        direct.legacy_requests.labels("anonymous").inc()
        bound = instruments.route(LEGACY, ROUTE)
        bound.answered(status, seconds)
        bound.upstream_took(seconds / 2)
        bound.translation_took(seconds / 10)
        instruments.legacy_request("anonymous")
    direct.translation_failures.labels("task_status").inc()
    instruments.translation_failed("task_status")
    direct.unsupported_versions.inc()
    instruments.unsupported_version()
    assert _exposition(bound_registry) == _exposition(direct_registry)


def test_nothing_is_exported_for_a_route_before_a_request_observes_it() -> None:
    registry = CollectorRegistry()
    instruments = RequestInstruments(RequestMetrics.create(registry))
    instruments.route(LEGACY, ROUTE).answered(200, 0.01)
    exported = "\n".join(_exposition(registry))
    assert "proxy_translation_duration_seconds_count" not in exported
    assert "proxy_upstream_request_duration_seconds_count" not in exported
    assert ROUTE in exported
