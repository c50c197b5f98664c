"""The migration report of one process: JSON and page, caps, retention, DELETE."""

import json
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient
from prometheus_client import CollectorRegistry
from pytest_aiohttp import AiohttpClient, AiohttpServer

from proxy.app import create_admin_app, create_app
from proxy.core.credentials import credential_fingerprint
from tests.factories import make_task
from tests.fakes.clock import FakeClock
from tests.fakes.recording import RecordingUpstream, answer
from tests.integration.conftest import make_settings
from tests.report_page import parse_page

Client = TestClient[web.Request, web.Application]
UNPINNED = {"Authorization": "Bearer moda_live_unpinned", "User-Agent": "billing-sync/1.2"}
PINNED = {"Authorization": "Bearer moda_live_pinned", "Moda-Version": "2026-04-12"}
CANONICAL = {"Authorization": "Bearer moda_live_canonical", "Moda-Version": "2026-05-01"}
DAY = 86400


def fingerprint(headers: dict[str, str]) -> str:
    found = credential_fingerprint(headers["Authorization"])
    assert found is not None
    return found


async def _pair(
    aiohttp_client: AiohttpClient,
    clock: FakeClock,
    upstream_url: str = "sandbox",
    **sections: dict[str, Any],
) -> tuple[Client, Client]:
    settings = make_settings(upstream_url, **sections)
    proxy_app = create_app(settings, clock=clock, registry=CollectorRegistry())
    proxy = await aiohttp_client(proxy_app)
    admin = await aiohttp_client(create_admin_app(proxy_app))
    return proxy, admin


async def _report(admin: Client) -> dict[str, Any]:
    response = await admin.get("/-/clients")
    assert response.status == 200
    assert response.content_type == "application/json"
    report: dict[str, Any] = await response.json()
    return report


def _clients(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {client["fingerprint"]: client for client in report["clients"]}


async def _three_clients(proxy: Client) -> None:
    for _ in range(3):
        assert (await proxy.get("/v1/canvases", headers=UNPINNED)).status == 200
    assert (await proxy.get("/v1/credits", headers=UNPINNED)).status == 200
    assert (await proxy.get("/v1/tasks/nope", headers=PINNED)).status >= 400
    assert (await proxy.post("/v1/tasks", json={"prompt": "x"}, headers=PINNED)).status == 202
    assert (await proxy.get("/v1/credits", headers=CANONICAL)).status == 200


async def test_the_report_counts_each_client_by_route_version_and_header(
    aiohttp_client: AiohttpClient,
) -> None:
    clock = FakeClock()
    proxy, admin = await _pair(aiohttp_client, clock)
    await _three_clients(proxy)

    report = await _report(admin)

    clients = _clients(report)
    unpinned = clients[fingerprint(UNPINNED)]
    assert unpinned["version"] == "2026-04-12"
    assert unpinned["legacy"] is True
    assert unpinned["sends_moda_version"] == "never"
    assert unpinned["requests_last_hour"] == {"GET /v1/canvases": 3, "GET /v1/credits": 1}
    assert unpinned["requests_last_day"] == unpinned["requests_last_hour"]
    assert unpinned["user_agents"] == ["billing-sync/1.2"]
    assert unpinned["last_seen"] == clock.wall().isoformat(timespec="seconds")
    pinned = clients[fingerprint(PINNED)]
    assert pinned["sends_moda_version"] == "always"
    assert pinned["requests_last_hour"] == {"GET /v1/tasks/{id}": 1, "POST /v1/tasks": 1}
    assert pinned["errors_last_hour"] == 1
    canonical = clients[fingerprint(CANONICAL)]
    assert canonical["legacy"] is False
    assert canonical["version"] == "2026-05-01"
    assert report["clients"][-1]["fingerprint"] == fingerprint(CANONICAL)
    summary = report["summary"]
    assert summary["legacy_clients_last_day"] == 2
    assert summary["legacy_clients_last_week"] == 2
    assert summary["requests_last_day"] == 7
    assert summary["legacy_requests_last_day"] == 6
    assert summary["legacy_share_last_day"] == round(6 / 7, 4)
    assert summary["legacy_requests_by_day"][-1] == {
        "day": clock.wall().date().isoformat(),
        "legacy_requests": 6,
    }
    assert len(summary["legacy_requests_by_day"]) == 14


async def test_a_pre_versioning_client_on_the_job_routes_is_listed_as_legacy(
    aiohttp_client: AiohttpClient,
) -> None:
    proxy, admin = await _pair(aiohttp_client, FakeClock())
    g0 = {"Authorization": "Bearer moda_live_adapp"}
    created = await proxy.post(
        "/v1/jobs", json={"prompt": "An ad", "canvas_name": "Ad"}, headers=g0
    )
    assert created.status == 202

    client = _clients(await _report(admin))[fingerprint(g0)]

    assert client["version"] == "pre-versioning"
    assert client["legacy"] is True
    assert client["requests_last_hour"] == {"POST /v1/jobs": 1}


async def test_the_page_shows_what_the_json_says(aiohttp_client: AiohttpClient) -> None:
    clock = FakeClock()
    proxy, admin = await _pair(
        aiohttp_client, clock, clients={"names": {fingerprint(PINNED): "CRM"}}
    )
    await _three_clients(proxy)

    response = await admin.get("/-/clients", headers={"Accept": "text/html,*/*"})

    assert response.status == 200
    assert response.content_type == "text/html"
    page = parse_page(await response.text())
    assert page.summary["legacy_clients_last_day"] == "2"
    assert page.summary["legacy_share_last_day"] == "85.7 %"
    assert page.bars[-1] == (clock.wall().date().isoformat(), 6)
    assert page.scripts == 0
    rows = {row.fingerprint: row for row in page.rows}
    assert rows[fingerprint(PINNED)].css_class == "legacy"
    assert "CRM" in rows[fingerprint(PINNED)].cells["client"]
    assert rows[fingerprint(UNPINNED)].routes["requests_last_hour"] == {
        "GET /v1/canvases": 3,
        "GET /v1/credits": 1,
    }
    assert rows[fingerprint(CANONICAL)].css_class == "current"
    assert rows[fingerprint(CANONICAL)].cells["legacy"] == "current"


async def test_format_chooses_outright_and_a_bad_one_is_refused(
    aiohttp_client: AiohttpClient,
) -> None:
    _, admin = await _pair(aiohttp_client, FakeClock())

    page = await admin.get("/-/clients?format=html")
    bad = await admin.get("/-/clients?format=xml")

    assert page.content_type == "text/html"
    assert "No client seen yet." in parse_page(await page.text()).empty_text
    assert bad.status == 400
    assert (await bad.json())["error"]["details"] == {"format": "xml"}


async def test_clients_past_the_cap_are_counted_as_other(aiohttp_client: AiohttpClient) -> None:
    proxy, admin = await _pair(
        aiohttp_client, FakeClock(), clients={"max_clients": 2, "max_routes_per_client": 1}
    )
    await _three_clients(proxy)

    clients = _clients(await _report(admin))

    assert set(clients) == {fingerprint(UNPINNED), fingerprint(PINNED), "other"}
    assert clients["other"]["name"] == "other clients"
    assert clients["other"]["requests_last_hour"] == {"GET /v1/credits": 1}
    assert clients[fingerprint(UNPINNED)]["requests_last_hour"] == {
        "GET /v1/canvases": 3,
        "other": 1,
    }


async def test_a_client_is_forgotten_after_the_retention(aiohttp_client: AiohttpClient) -> None:
    clock = FakeClock()
    proxy, admin = await _pair(aiohttp_client, clock, clients={"retention_days": 3})
    await proxy.get("/v1/credits", headers=UNPINNED)
    await _report(admin)
    clock.advance(2 * DAY)
    await proxy.get("/v1/credits", headers=PINNED)

    kept = await _report(admin)
    assert set(_clients(kept)) == {fingerprint(UNPINNED), fingerprint(PINNED)}
    assert kept["summary"]["legacy_clients_last_day"] == 1
    assert kept["summary"]["legacy_clients_last_week"] == 2
    assert [day["legacy_requests"] for day in kept["summary"]["legacy_requests_by_day"]] == [
        1,
        0,
        1,
    ]
    clock.advance(1.5 * DAY)

    later = await _report(admin)
    assert set(_clients(later)) == {fingerprint(PINNED)}
    assert later["summary"]["legacy_clients_last_day"] == 0


async def test_delete_forgets_one_client(aiohttp_client: AiohttpClient) -> None:
    proxy, admin = await _pair(aiohttp_client, FakeClock())
    await _three_clients(proxy)

    gone = await admin.delete(f"/-/clients/{fingerprint(PINNED)}")
    again = await admin.delete(f"/-/clients/{fingerprint(PINNED)}")
    malformed = await admin.delete("/-/clients/Bearer%20moda_live_pinned")

    assert gone.status == 204
    assert again.status == 404
    assert (await again.json())["error"]["code"] == "client_not_found"
    assert malformed.status == 400
    report = await _report(admin)
    assert set(_clients(report)) == {fingerprint(UNPINNED), fingerprint(CANONICAL)}
    assert report["summary"]["legacy_requests_last_day"] == 4


async def test_waits_webhooks_and_derived_fields_are_noticed(
    aiohttp_client: AiohttpClient, aiohttp_server: AiohttpServer
) -> None:
    derived = {"Moda-Compat-Derived": "can_export", "Content-Type": "application/json"}
    upstream = RecordingUpstream(answer(202, json.dumps(make_task()).encode(), derived))
    server = await aiohttp_server(upstream.app())
    proxy, admin = await _pair(aiohttp_client, FakeClock(), str(server.make_url("")).rstrip("/"))
    callback = {"prompt": "x", "callback_url": "https://hooks.example.com/a"}

    await proxy.post("/v1/tasks", json=callback, headers=PINNED)
    await proxy.get("/v1/usage", headers={**UNPINNED, "Prefer": "wait=5"})
    await proxy.get("/v1/usage", headers=CANONICAL)

    clients = _clients(await _report(admin))
    assert clients[fingerprint(PINNED)]["uses"] == {
        "waits": False,
        "webhooks": True,
        "derived_fields": True,
    }
    assert clients[fingerprint(UNPINNED)]["uses"]["waits"] is True
    assert clients[fingerprint(UNPINNED)]["uses"]["webhooks"] is False
    assert clients[fingerprint(CANONICAL)]["uses"] == {
        "waits": False,
        "webhooks": False,
        "derived_fields": True,
    }


async def test_a_user_agent_is_cut_and_shown_as_text_never_as_markup(
    aiohttp_client: AiohttpClient,
) -> None:
    proxy, admin = await _pair(aiohttp_client, FakeClock(), clients={"user_agent_chars": 40})
    agent = "<script>alert(1)</script>" + "x" * 100
    await proxy.get("/v1/credits", headers={**UNPINNED, "User-Agent": agent})

    page = parse_page(await (await admin.get("/-/clients?format=html")).text())

    assert page.scripts == 0
    (row,) = page.rows
    assert row.cells["user_agents"] == agent[:40]
