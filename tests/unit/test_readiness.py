"""Readiness: a recent upstream answer counts for `admin.ready_window_seconds`, on the clock."""

from proxy.server.readiness import Readiness
from tests.fakes.clock import FakeClock


def test_an_upstream_answer_keeps_the_proxy_ready_for_the_window_only() -> None:
    clock = FakeClock()
    readiness = Readiness(5.0, clock)
    assert not readiness.upstream_recently_answered()

    readiness.upstream_answered()
    clock.advance(5.0)
    assert readiness.upstream_recently_answered()

    clock.advance(0.001)
    assert not readiness.upstream_recently_answered()
