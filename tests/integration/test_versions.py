"""Version negotiation as Moda does it, and the 2026-05-01 client's untouched view."""

import aiohttp
import pytest
from pytest_aiohttp import AiohttpClient, AiohttpServer

from proxy.app import create_admin_app, create_app
from proxy.sandbox.app import create_sandbox_app
from tests.fakes.clock import FakeClock
from tests.fakes.recording import RecordingUpstream, answer
from tests.integration.conftest import AUTH, CANONICAL, ProxyFactory, make_settings


@pytest.mark.parametrize("version", ["2026-01-01", "2025-12-31", "latest", ""])
async def test_unknown_versions_are_refused_like_moda_and_never_forwarded(
    aiohttp_server: AiohttpServer, start_proxy: ProxyFactory, version: str
) -> None:
    upstream = RecordingUpstream(answer())
    server = await aiohttp_server(upstream.app())
    proxy = await start_proxy(str(server.make_url("")).rstrip("/"))

    response = await proxy.get("/v1/tasks/task_1", headers={**AUTH, "Moda-Version": version})

    assert response.status == 400
    assert response.headers["Moda-Version"] == "2026-04-12"
    error = (await response.json())["error"]
    assert (error["type"], error["code"]) == ("invalid_request", "unsupported_version")
    assert error["details"] == {
        "requested": version,
        "supported": ["2026-04-12", "2026-05-01"],
    }
    assert error["request_id"] == response.headers["X-Request-ID"]
    assert upstream.calls == []


async def test_a_client_request_id_is_kept_on_proxy_errors(
    start_proxy: ProxyFactory,
) -> None:
    proxy = await start_proxy()
    response = await proxy.get(
        "/v1/tasks", headers={**AUTH, "Moda-Version": "1", "X-Request-ID": "abc-123"}
    )
    assert response.headers["X-Request-ID"] == "abc-123"
    assert (await response.json())["error"]["request_id"] == "abc-123"


async def test_the_default_version_is_configurable(start_proxy: ProxyFactory) -> None:
    proxy = await start_proxy(versions={"default": "2026-05-01"})
    response = await proxy.get("/v1/credits", headers=AUTH)
    assert response.status == 200
    assert response.headers["Moda-Version"] == "2026-05-01"


async def test_canonical_responses_through_the_proxy_equal_the_sandbox_directly(
    aiohttp_server: AiohttpServer, start_proxy: ProxyFactory, clock: FakeClock
) -> None:
    sandbox = await aiohttp_server(create_sandbox_app(make_settings().sandbox, clock))
    proxy = await start_proxy(str(sandbox.make_url("")).rstrip("/"))
    headers = {**CANONICAL, "X-Request-ID": "same-id"}
    created = await (await proxy.post("/v1/tasks", json={"prompt": "p"}, headers=headers)).json()
    paths = (
        "/v1/canvases?limit=3",
        f"/v1/tasks/{created['id']}",
        "/v1/tasks/nope",
        "/v1/credits",
    )

    async with aiohttp.ClientSession() as direct_session:
        for path in paths:
            direct = await direct_session.get(sandbox.make_url(path), headers=headers)
            proxied = await proxy.get(path, headers=headers)
            assert proxied.status == direct.status
            assert await proxied.read() == await direct.read()
            for name in ("Moda-Version", "Content-Type", "X-Request-ID"):
                assert proxied.headers.get(name) == direct.headers.get(name)


async def test_admin_changelog_lists_every_change_of_the_legacy_version(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(create_admin_app(create_app(make_settings())))
    body = await (await client.get("/-/versions")).json()
    assert body["supported"] == ["2026-04-12", "2026-05-01"]
    changes = body["changelog"][0]["changes"]
    assert "flatten_task_envelope_into_job" in [change["name"] for change in changes]
    assert all(change["summary"] for change in changes)
