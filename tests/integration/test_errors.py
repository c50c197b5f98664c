"""Upstream faults and bad client input: always a prompt answer in Moda's error envelope."""

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pytest_aiohttp import AiohttpServer

from tests.factories import make_task
from tests.fakes.faulty import (
    RawUpstream,
    cut_short,
    free_port_url,
    garbage,
    hang,
    reset,
)
from tests.fakes.recording import RecordingUpstream, answer
from tests.integration.conftest import CANONICAL, LEGACY, ProxyClient, ProxyFactory


async def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status == status
    body = await response.json()
    error = body["error"]
    assert (error["code"], error["request_id"]) == (
        code,
        response.headers["X-Request-ID"],
    )
    assert set(error) == {"type", "code", "message", "request_id", "details"}
    assert "Traceback" not in error["message"]
    assert response.headers["Moda-Version"] in {"2026-04-12", "2026-05-01"}
    return dict(error)


@pytest.fixture
async def raw_upstreams() -> AsyncIterator[list[RawUpstream]]:
    started: list[RawUpstream] = []
    yield started
    for upstream in started:
        await upstream.close()


async def _raw(raw_upstreams: list[RawUpstream], upstream: RawUpstream) -> str:
    raw_upstreams.append(upstream)
    return await upstream.start()


@pytest.mark.parametrize("path", ["/v1/tasks/task_1", "/v1/credits"])
async def test_a_refusing_upstream_gives_502(start_proxy: ProxyFactory, path: str) -> None:
    proxy = await start_proxy(free_port_url())
    error = await _error(await proxy.get(path, headers=LEGACY), 502, "upstream_unavailable")
    assert error["type"] == "upstream_error"


@pytest.mark.parametrize("path", ["/v1/tasks/task_1", "/v1/credits"])
async def test_a_hanging_upstream_gives_504_after_the_timeout(
    start_proxy: ProxyFactory, raw_upstreams: list[RawUpstream], path: str
) -> None:
    release = asyncio.Event()
    url = await _raw(raw_upstreams, RawUpstream(hang(release)))
    proxy = await start_proxy(url, upstream={"timeout_seconds": 0.3})
    try:
        await _error(await proxy.get(path, headers=LEGACY), 504, "upstream_timeout")
    finally:
        release.set()


@pytest.mark.parametrize("path", ["/v1/tasks/task_1", "/v1/credits"])
async def test_a_body_cut_short_gives_502(
    start_proxy: ProxyFactory, raw_upstreams: list[RawUpstream], path: str
) -> None:
    url = await _raw(raw_upstreams, RawUpstream(cut_short(5000, b'{"id": "task_')))
    proxy = await start_proxy(url)
    await _error(await proxy.get(path, headers=LEGACY), 502, "upstream_unavailable")


@pytest.mark.parametrize("behaviour", [garbage, reset])
async def test_garbage_or_a_reset_gives_502(
    start_proxy: ProxyFactory, raw_upstreams: list[RawUpstream], behaviour: Any
) -> None:
    proxy = await start_proxy(await _raw(raw_upstreams, RawUpstream(behaviour)))
    await _error(await proxy.get("/v1/tasks/task_1", headers=LEGACY), 502, "upstream_unavailable")


async def _scripted(
    aiohttp_server: AiohttpServer,
    start_proxy: ProxyFactory,
    upstream: RecordingUpstream,
) -> ProxyClient:
    server = await aiohttp_server(upstream.app())
    return await start_proxy(str(server.make_url("")).rstrip("/"))


async def test_a_non_json_success_on_a_translated_route_names_the_upstream_status(
    aiohttp_server: AiohttpServer, start_proxy: ProxyFactory
) -> None:
    proxy = await _scripted(
        aiohttp_server, start_proxy, RecordingUpstream(answer(200, b"<html>oops"))
    )
    error = await _error(
        await proxy.get("/v1/tasks/task_1", headers=LEGACY),
        502,
        "upstream_invalid_response",
    )
    assert "200" in error["message"]
    assert error["details"] == {"upstream_status": 200}


@pytest.mark.parametrize(
    "task",
    [
        {k: v for k, v in make_task().items() if k != "status"},
        make_task(status="paused"),
        make_task(result="cvs_1", status="succeeded"),
        [make_task()],
    ],
    ids=["missing-status", "unknown-status", "result-a-string", "not-an-object"],
)
async def test_json_of_the_wrong_shape_gives_502_not_a_guess(
    aiohttp_server: AiohttpServer, start_proxy: ProxyFactory, task: Any
) -> None:
    upstream = RecordingUpstream(answer(200, json.dumps(task).encode()))
    proxy = await _scripted(aiohttp_server, start_proxy, upstream)
    await _error(
        await proxy.get("/v1/tasks/task_1", headers=LEGACY),
        502,
        "upstream_invalid_response",
    )


async def test_the_same_odd_body_reaches_a_canonical_client_untouched(
    aiohttp_server: AiohttpServer, start_proxy: ProxyFactory
) -> None:
    proxy = await _scripted(
        aiohttp_server, start_proxy, RecordingUpstream(answer(200, b"<html>oops"))
    )
    response = await proxy.get("/v1/tasks/task_1", headers=CANONICAL)
    assert (response.status, await response.read()) == (200, b"<html>oops")


async def test_upstream_5xx_envelopes_pass_through_to_legacy_clients(
    aiohttp_server: AiohttpServer, start_proxy: ProxyFactory
) -> None:
    envelope = b'{"error":{"type":"internal_error","code":"internal_error","message":"x"}}'
    upstream = RecordingUpstream(answer(503, envelope, {"Retry-After": "5"}))
    proxy = await _scripted(aiohttp_server, start_proxy, upstream)
    response = await proxy.get("/v1/tasks/task_1", headers=LEGACY)
    assert (response.status, await response.read()) == (503, envelope)
    assert response.headers["Retry-After"] == "5"


@pytest.mark.parametrize("body", [b"{not json", b'{"prompt": "x"', b"\xff\xfe"])
async def test_malformed_client_json_on_a_translated_route_is_a_400_sent_nowhere(
    aiohttp_server: AiohttpServer, start_proxy: ProxyFactory, body: bytes
) -> None:
    upstream = RecordingUpstream(answer())
    proxy = await _scripted(aiohttp_server, start_proxy, upstream)
    response = await proxy.post(
        "/v1/tasks", data=body, headers={**LEGACY, "Content-Type": "application/json"}
    )
    await _error(response, 400, "invalid_request")
    assert upstream.calls == []


async def test_a_translated_body_over_its_limit_is_a_413(
    aiohttp_server: AiohttpServer, start_proxy: ProxyFactory
) -> None:
    upstream = RecordingUpstream(answer())
    server = await aiohttp_server(upstream.app())
    proxy = await start_proxy(
        str(server.make_url("")).rstrip("/"), server={"max_translated_body_bytes": 100}
    )
    response = await proxy.post("/v1/tasks", json={"prompt": "x" * 500}, headers=LEGACY)
    await _error(response, 413, "request_too_large")
    assert upstream.calls == []
