"""The pure parts of `--workers`: the hand-off to a worker, the worker count, merged metrics."""

import asyncio
import os
import signal
from typing import cast

import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from proxy.config import ConfigError, settings_from
from proxy.workers.backoff import RestartBackoff
from proxy.workers.exposition import merge, parse, render
from proxy.workers.handoff import WorkerSpec, worker_count
from proxy.workers.pool import Worker, WorkerPool, WorkerStartError
from proxy.workers.sockets import PublicPort
from tests.fakes.clock import FakeClock


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


# --- restart pauses -------------------------------------------------------------------------


def test_restart_pauses_double_while_a_worker_keeps_failing_up_to_ten_seconds() -> None:
    backoff = RestartBackoff(FakeClock())
    assert [backoff.next_pause() for _ in range(8)] == [0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 10.0, 10.0]


def test_restart_pauses_start_over_once_a_worker_has_served_thirty_seconds() -> None:
    clock = FakeClock()
    backoff = RestartBackoff(clock)
    for _ in range(5):
        backoff.next_pause()
    backoff.serving()
    clock.advance(29.9)
    assert backoff.next_pause() == 6.4, "29.9 s of serving is still a crash loop"
    backoff.serving()
    clock.advance(30.0)
    assert backoff.next_pause() == 0.2
    assert backoff.next_pause() == 0.4


class _RecordingClock(FakeClock):
    def __init__(self) -> None:
        super().__init__()
        self.pauses: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        await super().sleep(seconds)


class _FakeWorkerProcess:
    """Exits `lifetime` seconds of `clock` after it is waited on; None serves until signalled."""

    pid = 4242

    def __init__(self, clock: FakeClock, lifetime: float | None) -> None:
        self._clock, self._lifetime = clock, lifetime
        self._signalled = asyncio.Event()
        self.returncode: int | None = None

    async def wait(self) -> int:
        if self._lifetime is None:
            await self._signalled.wait()
        else:
            self._clock.advance(self._lifetime)
            await asyncio.sleep(0)
        self.returncode = 1
        return self.returncode

    def send_signal(self, _: signal.Signals) -> None:
        self._signalled.set()

    def kill(self) -> None:
        self._signalled.set()


class _ScriptedPool(WorkerPool):
    """One worker slot whose starts follow a script: a lifetime in seconds, `fails`, or None
    for a worker that serves until stopped (then `script_done` is set)."""

    def __init__(self, clock: FakeClock, script: list[float | str | None]) -> None:
        unused_port = cast(PublicPort, None)
        super().__init__(1, settings_from({}), unused_port, {}, None, clock=clock)
        self._fake_clock, self._script = clock, iter(script)
        self.script_done = asyncio.Event()

    async def _launch(self, worker: Worker) -> None:
        step = next(self._script)
        if step == "fails":
            raise WorkerStartError(f"worker {worker.index} did not start in time")
        assert not isinstance(step, str)
        if step is None:
            self.script_done.set()
        process = _FakeWorkerProcess(self._fake_clock, step)
        worker.process = cast(asyncio.subprocess.Process, process)
        worker.admin_url = "http://127.0.0.1:1"


async def test_the_supervisor_pauses_start_over_after_a_replacement_served_a_while() -> None:
    clock = _RecordingClock()
    pool = _ScriptedPool(clock, [1.0, "fails", "fails", 60.0, 1.0, None])
    await pool.start()
    await asyncio.wait_for(pool.script_done.wait(), timeout=5)
    await pool.stop(grace_seconds=0.0)
    # Died after 1 s, two replacements failed to start, the third served 60 s: 0.2 s again.
    assert clock.pauses == [0.2, 0.4, 0.8, 0.2, 0.4]
    assert pool.restarts == 5
