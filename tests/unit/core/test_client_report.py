from typing import Any

from proxy.core.client_report import OTHER_NAME, build_report
from proxy.core.client_usage import (
    DAY,
    OTHER,
    ClientMeta,
    Counts,
    Limits,
    UsageSnapshot,
    merge_into,
    snapshot_of,
)

LIMITS = Limits(max_clients=10, max_routes=2, max_agents=3, agent_chars=20, retention_days=3)
NOW = 1_800_000_000.0  # 2027-01-15T08:00:00Z
UPSTREAM = "2026-05-01"


def _add(held: UsageSnapshot, fingerprint: str, when: float, counts: Counts, **flags: int) -> None:
    version = next(name[2:] for name in counts if name.startswith("v:"))
    meta = ClientMeta(when, when, version, dict(flags), {})
    merge_into(held, snapshot_of({fingerprint: meta}, {fingerprint: counts}, when), LIMITS)


def _report(held: UsageSnapshot, names: dict[str, str] | None = None) -> dict[str, Any]:
    return build_report(held, NOW, upstream=UPSTREAM, names=names or {}, limits=LIMITS)


def test_routes_past_the_cap_are_listed_as_other_busiest_first() -> None:
    held = UsageSnapshot()
    counts = {"r:GET /v1/a": 1, "r:GET /v1/b": 5, "r:GET /v1/c": 3, "v:2026-04-12": 9}
    _add(held, "legacy", NOW, counts, pinned=2, unpinned=1, waits=1)

    (client,) = _report(held)["clients"]

    assert client["requests_last_hour"] == {"GET /v1/b": 5, "GET /v1/c": 3, "other": 1}
    assert client["sends_moda_version"] == "sometimes"
    assert client["uses"] == {"waits": True, "webhooks": False, "derived_fields": False}
    assert client["errors_last_hour"] == 0


def test_windows_reach_back_an_hour_a_day_and_a_week() -> None:
    held = UsageSnapshot()
    _add(held, "a", NOW - 2 * 3600, {"r:GET /v1/x": 1, "v:2026-04-12": 1, "errors": 1})
    _add(held, "a", NOW - 60, {"r:GET /v1/x": 2, "v:2026-04-12": 2})
    _add(held, "b", NOW - 2 * DAY.seconds, {"r:GET /v1/x": 4, "v:2026-04-12": 4})
    _add(held, "c", NOW - 60, {"r:GET /v1/x": 3, f"v:{UPSTREAM}": 3})

    report = _report(held, {"a": "Billing"})

    clients = {client["fingerprint"]: client for client in report["clients"]}
    assert clients["a"]["requests_last_hour"] == {"GET /v1/x": 2}
    assert clients["a"]["requests_last_day"] == {"GET /v1/x": 3}
    assert clients["a"]["errors_last_hour"] == 0
    assert clients["a"]["name"] == "Billing"
    assert clients["b"]["requests_last_day"] == {}
    assert clients["c"]["legacy"] is False
    assert [client["fingerprint"] for client in report["clients"]] == ["a", "b", "c"]
    assert report["summary"] == {
        "legacy_clients_last_day": 1,
        "legacy_clients_last_week": 2,
        "requests_last_day": 6,
        "legacy_requests_last_day": 3,
        "legacy_share_last_day": 0.5,
        "legacy_requests_by_day": [
            {"day": "2027-01-13", "legacy_requests": 4},
            {"day": "2027-01-14", "legacy_requests": 0},
            {"day": "2027-01-15", "legacy_requests": 3},
        ],
    }


def test_an_empty_report_has_no_share_and_a_zero_series() -> None:
    report = _report(UsageSnapshot())

    assert report["clients"] == []
    assert report["summary"]["legacy_share_last_day"] == 0.0
    assert [day["legacy_requests"] for day in report["summary"]["legacy_requests_by_day"]] == [
        0,
        0,
        0,
    ]


def test_the_other_client_is_named_as_such() -> None:
    held = UsageSnapshot()
    _add(held, OTHER, NOW, {"v:2026-04-12": 1}, unpinned=1)

    (client,) = _report(held)["clients"]

    assert client["name"] == OTHER_NAME
    assert client["sends_moda_version"] == "never"
