"""Legacy offset pages over the sandbox's cursor lists, page after page."""

from typing import Any

import pytest
from pytest_aiohttp import AiohttpServer

from proxy.sandbox.settings import SandboxSettings
from tests.fakes.clock import FakeClock
from tests.fakes.sandbox import RecordedSandbox, start_sandbox
from tests.integration.conftest import LEGACY, TOKEN, ProxyClient, ProxyFactory

CANONICAL_HEADERS = {"Authorization": f"Bearer {TOKEN}", "Moda-Version": "2026-05-01"}


SANDBOX_CURSOR_TTL = 30.0


@pytest.fixture
async def sandbox(aiohttp_server: AiohttpServer, clock: FakeClock) -> RecordedSandbox:
    settings = SandboxSettings(cursor_ttl_seconds=SANDBOX_CURSOR_TTL)
    recorded = await start_sandbox(aiohttp_server, clock, settings)
    recorded.account(TOKEN).add_canvases(255)  # 300 with the 45 seeded ones
    return recorded


@pytest.fixture
async def proxy_on_sandbox(sandbox: RecordedSandbox, start_proxy: ProxyFactory) -> ProxyClient:
    return await start_proxy(sandbox.url)


async def _canonical_ids(proxy: ProxyClient, path: str) -> list[str]:
    ids: list[str] = []
    cursor = ""
    while True:
        query = f"?limit=100&cursor={cursor}" if cursor else "?limit=100"
        page = await (await proxy.get(path + query, headers=CANONICAL_HEADERS)).json()
        ids.extend(item["id"] for item in page["data"])
        cursor = page["next_cursor"]
        if not cursor:
            return ids


@pytest.mark.parametrize("limit", [1, 7, 20, 100])
async def test_iterating_visits_every_canvas_once_in_upstream_order(
    proxy_on_sandbox: ProxyClient, limit: int
) -> None:
    expected = await _canonical_ids(proxy_on_sandbox, "/v1/canvases")
    assert len(expected) == 300
    seen: list[str] = []
    offset = 0
    while True:
        response = await proxy_on_sandbox.get(
            f"/v1/canvases?offset={offset}&limit={limit}", headers=LEGACY
        )
        assert response.status == 200
        assert response.headers["X-Total-Exact"] == "true"
        page = await response.json()
        assert set(page) == {"canvases", "total", "offset", "limit", "has_more"}
        assert (page["total"], page["offset"], page["limit"]) == (300, offset, limit)
        seen.extend(item["id"] for item in page["canvases"])
        assert page["has_more"] is (len(seen) < 300)
        if not page["has_more"]:
            break
        offset += limit
    assert seen == expected


async def test_reading_page_after_page_costs_one_upstream_request_a_page(
    proxy_on_sandbox: ProxyClient, sandbox: RecordedSandbox
) -> None:
    await proxy_on_sandbox.get("/v1/canvases?limit=20", headers=LEGACY)
    first_page_cost = len(sandbox.calls_to("/v1/canvases"))
    assert first_page_cost <= 1 + 3  # the page, then counting 300 items in pages of 100
    for offset in range(20, 300, 20):
        await proxy_on_sandbox.get(f"/v1/canvases?offset={offset}&limit=20", headers=LEGACY)
    assert len(sandbox.calls_to("/v1/canvases")) - first_page_cost == 14


async def test_an_offset_past_the_end_is_an_empty_last_page(proxy_on_sandbox: ProxyClient) -> None:
    page = await (await proxy_on_sandbox.get("/v1/canvases?offset=5000", headers=LEGACY)).json()
    assert page == {"canvases": [], "total": 300, "offset": 5000, "limit": 20, "has_more": False}


async def test_a_deep_jump_walks_in_full_upstream_pages(
    proxy_on_sandbox: ProxyClient, sandbox: RecordedSandbox
) -> None:
    expected = await _canonical_ids(proxy_on_sandbox, "/v1/canvases")
    before = len(sandbox.calls_to("/v1/canvases"))
    page = await (
        await proxy_on_sandbox.get("/v1/canvases?offset=250&limit=10", headers=LEGACY)
    ).json()
    assert [item["id"] for item in page["canvases"]] == expected[250:260]
    walked = sandbox.calls_to("/v1/canvases")[before:]
    assert "limit=100" in walked[0]
    assert len(walked) <= 3 + 1


async def test_a_limit_above_one_upstream_page_reads_several(
    start_proxy: ProxyFactory, sandbox: RecordedSandbox
) -> None:
    proxy = await start_proxy(sandbox.url, pagination={"max_limit": 250})
    expected = await _canonical_ids(proxy, "/v1/canvases")
    page = await (await proxy.get("/v1/canvases?offset=10&limit=250", headers=LEGACY)).json()
    assert [item["id"] for item in page["canvases"]] == expected[10:260]
    assert page["has_more"] is True


async def test_task_lists_carry_jobs_and_filters_use_legacy_words(
    proxy_on_sandbox: ProxyClient, sandbox: RecordedSandbox
) -> None:
    page = await (
        await proxy_on_sandbox.get("/v1/tasks?status=completed&limit=100", headers=LEGACY)
    ).json()
    assert page["jobs"]
    assert {job["status"] for job in page["jobs"]} == {"completed"}
    assert page["total"] == len(page["jobs"])
    assert any("status=succeeded" in target for target in sandbox.calls_to("/v1/tasks"))
    everything = await (await proxy_on_sandbox.get("/v1/tasks?limit=100", headers=LEGACY)).json()
    assert {job["status"] for job in everything["jobs"]} <= {
        "queued",
        "running",
        "completed",
        "failed",
        "cancelled",
    }


async def test_brand_kits_carry_the_callers_team_looked_up_once(
    proxy_on_sandbox: ProxyClient, sandbox: RecordedSandbox
) -> None:
    team_id = sandbox.account(TOKEN).me.team_id
    page: dict[str, Any] = {}
    for _ in range(3):
        page = await (await proxy_on_sandbox.get("/v1/brand-kits", headers=LEGACY)).json()
        assert page["brand_kits"]
        assert {kit["team_id"] for kit in page["brand_kits"]} == {team_id}
    kit_id = page["brand_kits"][0]["id"]
    single = await (await proxy_on_sandbox.get(f"/v1/brand-kits/{kit_id}", headers=LEGACY)).json()
    assert single["team_id"] == team_id
    assert len(sandbox.calls_to("/v1/whoami")) == 1


@pytest.mark.parametrize("path", ["/v1/organizations", "/v1/events", "/v1/canvases/search?query=a"])
async def test_other_lists_use_their_plural_keys(proxy_on_sandbox: ProxyClient, path: str) -> None:
    key = {"/v1/organizations": "organizations", "/v1/events": "events"}.get(path, "canvases")
    page = await (await proxy_on_sandbox.get(path, headers=LEGACY)).json()
    assert isinstance(page[key], list)
    assert page["total"] >= len(page[key])


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("offset=-1", "query.offset"),
        ("offset=abc", "query.offset"),
        ("offset=1.5", "query.offset"),
        ("limit=0", "query.limit"),
        ("limit=101", "query.limit"),
        ("limit=20&limit=30", "query.limit"),
        ("cursor=abc", "query.cursor"),
    ],
)
async def test_bad_paging_parameters_are_400_and_send_nothing(
    proxy_on_sandbox: ProxyClient, sandbox: RecordedSandbox, query: str, field: str
) -> None:
    response = await proxy_on_sandbox.get(f"/v1/canvases?{query}", headers=LEGACY)
    assert response.status == 400
    error = (await response.json())["error"]
    assert error["code"] == "invalid_request"
    assert error["details"] == {"fields": [{"field": field}]}
    assert sandbox.calls == []


async def test_two_credentials_never_share_checkpoints_or_totals(
    proxy_on_sandbox: ProxyClient, sandbox: RecordedSandbox
) -> None:
    other = {"Authorization": "Bearer moda_live_someone_else", "Moda-Version": "2026-04-12"}
    mine = await (await proxy_on_sandbox.get("/v1/canvases?offset=40", headers=LEGACY)).json()
    theirs = await (await proxy_on_sandbox.get("/v1/canvases?offset=40", headers=other)).json()
    assert (mine["total"], theirs["total"]) == (300, 45)
    assert not {c["id"] for c in mine["canvases"]} & {c["id"] for c in theirs["canvases"]}


async def test_an_expired_cursor_is_dropped_and_the_walk_resumes_invisibly(
    proxy_on_sandbox: ProxyClient, sandbox: RecordedSandbox, clock: FakeClock
) -> None:
    expected = await _canonical_ids(proxy_on_sandbox, "/v1/canvases")
    await proxy_on_sandbox.get("/v1/canvases?offset=0&limit=20", headers=LEGACY)
    await proxy_on_sandbox.get("/v1/canvases?offset=20&limit=20", headers=LEGACY)
    clock.advance(
        SANDBOX_CURSOR_TTL + 1
    )  # the upstream's cursors expire; the proxy still holds them
    before = len(sandbox.calls_to("/v1/canvases"))

    page = await (
        await proxy_on_sandbox.get("/v1/canvases?offset=40&limit=20", headers=LEGACY)
    ).json()

    assert [c["id"] for c in page["canvases"]] == expected[40:60]
    walked = sandbox.calls_to("/v1/canvases")[before:]
    assert "cursor=" in walked[0]  # the remembered cursor was tried, refused ...
    assert "cursor=" not in walked[-1]  # ... and the walk started again from the top


async def test_unauthenticated_lists_are_never_cached_and_get_the_upstreams_401(
    proxy_on_sandbox: ProxyClient, sandbox: RecordedSandbox
) -> None:
    for _ in range(2):
        response = await proxy_on_sandbox.get(
            "/v1/canvases", headers={"Moda-Version": "2026-04-12"}
        )
        assert response.status == 401
    assert len(sandbox.calls_to("/v1/canvases")) == 2
