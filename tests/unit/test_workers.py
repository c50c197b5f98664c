"""The pure parts of `--workers`: the hand-off to a worker, the worker count, merged metrics."""

import os

import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from proxy.config import ConfigError, settings_from
from proxy.workers.exposition import merge, parse, render
from proxy.workers.handoff import WorkerSpec, worker_count


def test_a_worker_gets_exactly_the_settings_its_supervisor_resolved() -> None:
    settings = settings_from(
        {
            "server": {"listen": "0.0.0.0:8443", "workers": "auto", "drain_seconds": 2.5},
            "upstream": {"url": "https://api.moda.app"},
            "translation": {"status_words": {"succeeded": "completed"}},
            "metrics": {"client_names": {"0123456789ab": "billing"}},
            "deprecation": {"sunset_at": "2026-06-01T12:00:00+02:00"},
            "state": {"backend": "redis", "redis_url": "redis://cache:6379/2"},
        }
    )
    spec = WorkerSpec(
        index=3, supervisor_pid=41, listen_fds=(7, 8), settings=settings, sandbox_url=None
    )
    assert WorkerSpec.decode(spec.encode()) == spec


def test_a_hand_off_that_is_not_one_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="MODA_PROXY_WORKER"):
        WorkerSpec.decode('{"index": 0}')


def test_auto_is_one_worker_per_usable_core_and_a_number_is_itself() -> None:
    assert worker_count("auto") == len(os.sched_getaffinity(0))
    assert worker_count(5) == 5


def _exposition(requests: int) -> str:
    registry = CollectorRegistry()
    counter = Counter("proxy_requests", "Requests.", ["route"], registry=registry)
    counter.labels("GET /v1/credits").inc(requests)
    histogram = Histogram("proxy_seconds", "Time.", registry=registry, buckets=[0.1])
    histogram.observe(0.05)
    return generate_latest(registry).decode()


def test_merged_metrics_keep_one_family_per_name_with_every_workers_samples_labelled() -> None:
    merged = render(merge({0: parse(_exposition(2)), 1: parse(_exposition(5))})).decode()
    families = {family.name: family for family in text_string_to_metric_families(merged)}
    totals = {
        (sample.labels["worker"], sample.labels["route"]): sample.value
        for sample in families["proxy_requests"].samples
        if sample.name == "proxy_requests_total"
    }
    assert totals == {("0", "GET /v1/credits"): 2.0, ("1", "GET /v1/credits"): 5.0}
    buckets = [s for s in families["proxy_seconds"].samples if s.name == "proxy_seconds_bucket"]
    assert {(s.labels["worker"], s.labels["le"]) for s in buckets} == {
        ("0", "0.1"),
        ("0", "+Inf"),
        ("1", "0.1"),
        ("1", "+Inf"),
    }
    assert merged.count("# TYPE proxy_requests_total counter") == 1


def test_an_exposition_that_is_not_one_is_refused() -> None:
    for text in ("proxy_requests_total{route=\n", "<html>Bad Gateway</html>\n"):
        with pytest.raises(ValueError, match="not a Prometheus text exposition"):
            parse(text)
