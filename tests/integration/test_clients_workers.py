"""The migration report of two workers, shared through Redis or merged by their supervisor, read
as JSON, as a page and with `moda-compat-proxy report`."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from proxy.core.credentials import credential_fingerprint
from tests.fakes.processes import RunningProxy, eventually, run_proxy, running_proxy
from tests.fakes.redis_server import RedisServer
from tests.integration.test_workers import fresh_connections, samples_by_worker
from tests.report_page import parse_page

pytestmark = pytest.mark.process

UNPINNED = {"Authorization": "Bearer moda_live_report_unpinned", "User-Agent": "erp-sync/4"}
PINNED = {"Authorization": "Bearer moda_live_report_pinned", "Moda-Version": "2026-04-12"}
CANONICAL = {"Authorization": "Bearer moda_live_report_canonical", "Moda-Version": "2026-05-01"}
# Each entry: the headers, method and path of a request, and how many times it is sent.
TRAFFIC = (
    (UNPINNED, "GET", "/v1/canvases", 4),
    (UNPINNED, "GET", "/v1/credits", 2),
    (PINNED, "POST", "/v1/tasks", 3),
    (PINNED, "GET", "/v1/credits", 1),
    (CANONICAL, "GET", "/v1/credits", 2),
)
FLUSH_SECONDS = 0.2
CONFIG = f"sandbox:\n  max_active_tasks: 100\nclients:\n  flush_seconds: {FLUSH_SECONDS}\n"


def fingerprint(headers: dict[str, str]) -> str:
    found = credential_fingerprint(headers["Authorization"])
    assert found is not None
    return found


async def _send_traffic(session: aiohttp.ClientSession, proxy: RunningProxy) -> None:
    for headers, method, path, times in TRAFFIC:
        body = {"prompt": "Deck"} if method == "POST" else None
        for _ in range(times):
            async with session.request(
                method, proxy.url + path, json=body, headers=headers
            ) as response:
                assert response.status in {200, 202}, await response.text()


async def _report(session: aiohttp.ClientSession, proxy: RunningProxy) -> dict[str, Any]:
    async with session.get(f"{proxy.admin_url}/-/clients") as response:
        assert response.status == 200
        report: dict[str, Any] = await response.json()
        return report


async def _settled_report(session: aiohttp.ClientSession, proxy: RunningProxy) -> dict[str, Any]:
    """The report once every worker flushed all the traffic sent."""
    expected = sum(times for *_, times in TRAFFIC)
    latest: dict[str, Any] = {}

    async def all_counted() -> bool:
        nonlocal latest
        latest = await _report(session, proxy)
        return bool(latest["summary"]["requests_last_day"] == expected)

    await eventually(all_counted, within=10)
    return latest


def _assert_clients_right(report: dict[str, Any], sent_from: datetime, sent_to: datetime) -> None:
    clients = {client["fingerprint"]: client for client in report["clients"]}
    assert set(clients) == {fingerprint(UNPINNED), fingerprint(PINNED), fingerprint(CANONICAL)}
    unpinned, pinned = clients[fingerprint(UNPINNED)], clients[fingerprint(PINNED)]
    canonical = clients[fingerprint(CANONICAL)]
    assert unpinned["requests_last_day"] == {"GET /v1/canvases": 4, "GET /v1/credits": 2}
    assert unpinned["requests_last_hour"] == unpinned["requests_last_day"]
    assert (unpinned["version"], unpinned["sends_moda_version"]) == ("2026-04-12", "never")
    assert unpinned["user_agents"] == ["erp-sync/4"]
    assert pinned["requests_last_day"] == {"POST /v1/tasks": 3, "GET /v1/credits": 1}
    assert (pinned["version"], pinned["sends_moda_version"]) == ("2026-04-12", "always")
    assert canonical["requests_last_day"] == {"GET /v1/credits": 2}
    assert (canonical["version"], canonical["legacy"]) == ("2026-05-01", False)
    assert [client["legacy"] for client in report["clients"]] == [True, True, False]
    earliest = sent_from - timedelta(seconds=1)
    latest = sent_to + timedelta(seconds=FLUSH_SECONDS + 5)
    for client in clients.values():
        assert earliest <= datetime.fromisoformat(client["last_seen"]) <= latest
    summary = report["summary"]
    assert (summary["legacy_clients_last_day"], summary["legacy_clients_last_week"]) == (2, 2)
    assert (summary["legacy_requests_last_day"], summary["requests_last_day"]) == (10, 12)
    assert summary["legacy_requests_by_day"][-1]["legacy_requests"] == 10


async def _both_workers_served(session: aiohttp.ClientSession, proxy: RunningProxy) -> None:
    served = await samples_by_worker(session, proxy, "proxy_requests_total")
    assert set(served) == {"0", "1"}, "the kernel gave every connection to one worker"


async def test_two_workers_sharing_redis_give_one_report_as_json_page_and_table(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    config = f"{CONFIG}state:\n  backend: redis\n  redis_url: {redis_server.url}\n"
    async with (
        running_proxy(tmp_path, config, ("--workers", "2")) as proxy,
        fresh_connections() as session,
    ):
        sent_from = datetime.now(UTC)
        await _send_traffic(session, proxy)
        sent_to = datetime.now(UTC)
        await _both_workers_served(session, proxy)

        report = await _settled_report(session, proxy)
        _assert_clients_right(report, sent_from, sent_to)

        async with session.get(
            f"{proxy.admin_url}/-/clients", headers={"Accept": "text/html"}
        ) as response:
            page = parse_page(await response.text())
        rows = {row.fingerprint: row for row in page.rows}
        assert [row.css_class for row in page.rows] == ["legacy", "legacy", "current"]
        assert rows[fingerprint(PINNED)].routes["requests_last_day"] == {
            "POST /v1/tasks": 3,
            "GET /v1/credits": 1,
        }
        assert rows[fingerprint(UNPINNED)].cells["sends_moda_version"] == "never"
        assert rows[fingerprint(CANONICAL)].cells["version"] == "2026-05-01"
        assert page.summary["legacy_clients_last_day"] == "2"
        assert page.bars[-1][1] == 10

        code, table, _ = await run_proxy("report", "--admin", proxy.admin_url)
        assert code == 0
        lines = table.splitlines()
        assert "2 in the last 24 h, 2 in the last 7 days" in lines[1]
        assert "83.3 % (10 of 12)" in lines[2]
        header = lines.index(next(line for line in lines if line.startswith("CLIENT")))
        printed = {row[0]: (row[2], row[6]) for row in map(str.split, lines[header + 1 :])}
        assert printed == {
            fingerprint(UNPINNED)[:12]: ("legacy", "6"),
            fingerprint(PINNED)[:12]: ("legacy", "4"),
            fingerprint(CANONICAL)[:12]: ("current", "2"),
        }
        assert lines[-1].startswith(fingerprint(CANONICAL)[:12])

        async with session.delete(
            f"{proxy.admin_url}/-/clients/{fingerprint(UNPINNED)}"
        ) as forgotten:
            assert forgotten.status == 204
        after = await _report(session, proxy)
        assert fingerprint(UNPINNED) not in {client["fingerprint"] for client in after["clients"]}
        assert after["summary"]["legacy_requests_last_day"] == 4


async def test_two_workers_in_memory_are_merged_by_their_supervisor(tmp_path: Path) -> None:
    async with (
        running_proxy(tmp_path, CONFIG, ("--workers", "2")) as proxy,
        fresh_connections() as session,
    ):
        sent_from = datetime.now(UTC)
        await _send_traffic(session, proxy)
        sent_to = datetime.now(UTC)
        await _both_workers_served(session, proxy)

        _assert_clients_right(await _settled_report(session, proxy), sent_from, sent_to)

        code, printed, _ = await run_proxy("report", "--admin", proxy.admin_url, "--json")
        assert code == 0
        assert json.loads(printed)["summary"]["legacy_requests_last_day"] == 10

        async with session.delete(
            f"{proxy.admin_url}/-/clients/{fingerprint(PINNED)}"
        ) as forgotten:
            assert forgotten.status == 204
        async with session.delete(f"{proxy.admin_url}/-/clients/{fingerprint(PINNED)}") as again:
            assert again.status == 404
        after = await _report(session, proxy)
        assert after["summary"]["legacy_requests_last_day"] == 6
