from typing import Any

from proxy.report_table import format_report


def _report(clients: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "generated_at": "2026-12-03T10:00:00+00:00",
        "upstream_version": "2026-05-01",
        "summary": {
            "legacy_clients_last_day": 1,
            "legacy_clients_last_week": 2,
            "requests_last_day": 8,
            "legacy_requests_last_day": 6,
            "legacy_share_last_day": 0.75,
            "legacy_requests_by_day": [
                {"day": f"2026-11-{day:02}", "legacy_requests": day} for day in range(20, 30)
            ],
        },
        "clients": clients,
    }


def _client(name: str | None, legacy: bool) -> dict[str, Any]:
    return {
        "fingerprint": "0123456789abcdef0123456789abcdef",
        "name": name,
        "version": "2026-04-12" if legacy else "2026-05-01",
        "legacy": legacy,
        "sends_moda_version": "never",
        "last_seen": "2026-12-03T09:59:58+00:00",
        "requests_last_hour": {"GET /v1/credits": 2, "POST /v1/tasks": 1},
        "requests_last_day": {"GET /v1/credits": 5},
        "errors_last_hour": 1,
        "uses": {"waits": True, "webhooks": True, "derived_fields": False},
    }


def test_the_table_has_the_summary_then_one_aligned_row_per_client() -> None:
    text = format_report(_report([_client("Billing sync", True), _client(None, False)]))

    lines = text.splitlines()
    assert lines[1] == "Legacy clients active: 1 in the last 24 h, 2 in the last 7 days"
    assert lines[2] == "Legacy share of requests, last 24 h: 75.0 % (6 of 8)"
    assert lines[3].startswith("Legacy requests per day: 11-23 23")
    assert lines[3].endswith("11-29 29")
    header, named, unnamed = lines[5:]
    assert header.split() == [
        "CLIENT",
        "VERSION",
        "SERVED",
        "MODA-VERSION",
        "LAST",
        "SEEN",
        "REQ",
        "1H",
        "REQ",
        "24H",
        "ERR",
        "1H",
        "USES",
    ]
    assert named.startswith("Billing sync  2026-04-12  legacy")
    assert named.split()[-5:] == ["09:59:58", "3", "5", "1", "waits,webhooks"]
    assert unnamed.startswith("0123456789ab  ")
    assert header.index("VERSION") == named.index("2026-04-12") == unnamed.index("2026-05-01")


def test_an_empty_report_says_so() -> None:
    assert format_report(_report([])).endswith("No client seen yet.\n")
