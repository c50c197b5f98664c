"""Legacy pages over the list envelopes Moda ships: counted totals and the search offset lane."""

from typing import Any

import pytest
from pytest_aiohttp import AiohttpServer

from tests.fakes.clock import FakeClock
from tests.fakes.sandbox import RecordedSandbox, start_sandbox
from tests.fakes.shipped_lists import ABSENT, ShippedLists
from tests.integration.conftest import LEGACY, TOKEN, ProxyClient, ProxyFactory

LEGACY_PAGE_KEYS = {"total", "offset", "limit", "has_more"}


async def _proxy(
    aiohttp_server: AiohttpServer, start_proxy: ProxyFactory, upstream: ShippedLists
) -> ProxyClient:
    server = await aiohttp_server(upstream.recording.app())
    return await start_proxy(str(server.make_url("")).rstrip("/"))


async def _page(proxy: ProxyClient, target: str) -> tuple[dict[str, Any], str]:
    response = await proxy.get(target, headers=LEGACY)
    assert response.status == 200, await response.text()
    return await response.json(), response.headers["X-Total-Exact"]


async def test_a_counted_list_costs_one_upstream_request_a_page_from_the_first(
    aiohttp_server: AiohttpServer, start_proxy: ProxyFactory
) -> None:
    upstream = ShippedLists(brand_kits=350)
    proxy = await _proxy(aiohttp_server, start_proxy, upstream)
    seen: list[str] = []
    for offset in range(0, 350, 50):
        page, exact = await _page(proxy, f"/v1/brand-kits?offset={offset}&limit=50")
        assert set(page) == {"brand_kits", *LEGACY_PAGE_KEYS}
        assert (page["total"], page["has_more"], exact) == (350, offset + 50 < 350, "true")
        seen.extend(kit["id"] for kit in page["brand_kits"])
        assert len(upstream.calls_to("/v1/brand-kits")) == offset // 50 + 1
    assert seen == [f"bk_{index:04d}" for index in range(350)]


@pytest.mark.parametrize("total", [None, ABSENT, "ten", -1, True])
async def test_an_uncounted_list_is_counted_by_walking_it(
    aiohttp_server: AiohttpServer, start_proxy: ProxyFactory, total: Any
) -> None:
    upstream = ShippedLists(brand_kits=350, total=total)
    proxy = await _proxy(aiohttp_server, start_proxy, upstream)
    page, exact = await _page(proxy, "/v1/brand-kits?limit=20")
    assert (page["total"], page["has_more"], exact) == (350, True, "true")
    assert len(page["brand_kits"]) == 20
    assert len(upstream.calls_to("/v1/brand-kits")) == 1 + 4  # the page, then 350 in pages of 100


async def test_the_shipped_keys_never_reach_a_legacy_page(
    aiohttp_server: AiohttpServer, start_proxy: ProxyFactory
) -> None:
    proxy = await _proxy(aiohttp_server, start_proxy, ShippedLists())
    page, _ = await _page(proxy, "/v1/brand-kits?offset=340&limit=20")
    assert list(page) == ["brand_kits", "total", "offset", "limit", "has_more"]
    assert (len(page["brand_kits"]), page["total"], page["has_more"]) == (10, 350, False)


async def test_a_search_page_costs_exactly_one_upstream_request_at_the_clients_offset(
    aiohttp_server: AiohttpServer, start_proxy: ProxyFactory
) -> None:
    upstream = ShippedLists(canvases=300)
    proxy = await _proxy(aiohttp_server, start_proxy, upstream)
    page, exact = await _page(proxy, "/v1/canvases/search?offset=20&limit=5&query=Carousel")
    assert upstream.calls_to("/v1/canvases/search") == [
        "/v1/canvases/search?q=Carousel&query=Carousel&offset=20&limit=5"
    ]
    assert list(page) == ["canvases", "total", "offset", "limit", "has_more"]
    assert [canvas["id"] for canvas in page["canvases"]] == [f"cvs_{i:04d}" for i in range(20, 25)]
    assert (page["offset"], page["limit"], page["has_more"]) == (20, 5, True)
    assert (page["total"], exact) == (26, "false")  # a lower bound: one past the page


async def test_the_last_search_page_has_an_exact_total(
    aiohttp_server: AiohttpServer, start_proxy: ProxyFactory
) -> None:
    upstream = ShippedLists(canvases=300)
    proxy = await _proxy(aiohttp_server, start_proxy, upstream)
    page, exact = await _page(proxy, "/v1/canvases/search?offset=280&limit=50&query=carousel 2")
    # "carousel 2" matches 2, 20-29 and 200-299: 111 canvases
    assert (page["canvases"], page["total"], page["has_more"], exact) == ([], 111, False, "true")
    assert len(upstream.calls_to("/v1/canvases/search")) <= 1 + 9  # the page, then bisection
    page, exact = await _page(proxy, "/v1/canvases/search?offset=100&limit=50&query=carousel 2")
    assert (len(page["canvases"]), page["total"], page["has_more"], exact) == (
        11,
        111,
        False,
        "true",
    )


async def test_a_search_offset_is_checked_before_anything_is_sent(
    aiohttp_server: AiohttpServer, start_proxy: ProxyFactory
) -> None:
    upstream = ShippedLists()
    proxy = await _proxy(aiohttp_server, start_proxy, upstream)
    response = await proxy.get("/v1/canvases/search?offset=-3&query=x", headers=LEGACY)
    assert response.status == 400
    body = await response.json()
    assert body["error"]["details"] == {"fields": [{"field": "query.offset"}]}
    assert upstream.calls == []


@pytest.fixture
async def counted_sandbox(aiohttp_server: AiohttpServer, clock: FakeClock) -> RecordedSandbox:
    sandbox = await start_sandbox(aiohttp_server, clock)
    account = sandbox.account(TOKEN)
    account.add_brand_kits(350 - len(account.brand_kits))
    account.add_canvases(300)
    return sandbox


async def test_on_the_sandbox_brand_kits_cost_one_request_a_page_from_the_first(
    counted_sandbox: RecordedSandbox, start_proxy: ProxyFactory
) -> None:
    proxy = await start_proxy(counted_sandbox.url)
    for offset in range(0, 350, 100):
        page, exact = await _page(proxy, f"/v1/brand-kits?offset={offset}&limit=100")
        assert (page["total"], exact) == (350, "true")
        assert all(kit["team_id"] for kit in page["brand_kits"])
        assert len(counted_sandbox.calls_to("/v1/brand-kits")) == offset // 100 + 1


async def test_on_the_sandbox_one_search_page_costs_one_request(
    counted_sandbox: RecordedSandbox, start_proxy: ProxyFactory
) -> None:
    proxy = await start_proxy(counted_sandbox.url)
    page, exact = await _page(proxy, "/v1/canvases/search?offset=20&limit=5&query=")
    assert len(counted_sandbox.calls_to("/v1/canvases/search")) == 1
    assert (len(page["canvases"]), page["has_more"], page["total"], exact) == (5, True, 26, "false")
