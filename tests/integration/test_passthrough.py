"""Everything no change applies to reaches the upstream and comes back as it was."""

import asyncio
import io
import json

from aiohttp import web
from pytest_aiohttp import AiohttpServer

from tests.factories import make_task
from tests.fakes.recording import RecordingUpstream, answer
from tests.integration.conftest import AUTH, CANONICAL, LEGACY, ProxyFactory


async def _recording(aiohttp_server: AiohttpServer, upstream: RecordingUpstream) -> str:
    server = await aiohttp_server(upstream.app())
    return str(server.make_url("")).rstrip("/")


async def test_unknown_paths_pass_through_with_query_status_body_and_headers(
    aiohttp_server: AiohttpServer, start_proxy: ProxyFactory
) -> None:
    upstream = RecordingUpstream(
        answer(
            429,
            b'{"error":{"type":"rate_limited"}}',
            {"Retry-After": "30", "X-Request-ID": "up-1"},
        )
    )
    proxy = await start_proxy(await _recording(aiohttp_server, upstream))

    response = await proxy.get(
        "/v1/whatever/else?b=2&a=1&a=%20x",
        headers={
            **LEGACY,
            "Connection": "keep-alive, X-Drop",
            "X-Drop": "1",
            "X-Keep": "k",
        },
    )

    assert response.status == 429
    assert await response.read() == b'{"error":{"type":"rate_limited"}}'
    assert response.headers["Retry-After"] == "30"
    assert response.headers["X-Request-ID"] == "up-1"
    assert response.headers["Moda-Version"] == "2026-04-12"
    [call] = upstream.calls
    assert call.path_qs == "/v1/whatever/else?b=2&a=1&a=%20x"
    assert call.headers["Moda-Version"] == "2026-05-01"
    assert call.headers["X-Keep"] == "k"
    assert "X-Drop" not in call.headers
    assert call.headers["Authorization"] == AUTH["Authorization"]


async def test_canonical_clients_get_task_bodies_byte_for_byte(
    aiohttp_server: AiohttpServer, start_proxy: ProxyFactory
) -> None:
    raw = json.dumps(make_task(), indent=3).encode()
    upstream = RecordingUpstream(answer(200, raw, {"Content-Type": "application/json"}))
    proxy = await start_proxy(await _recording(aiohttp_server, upstream))

    response = await proxy.get("/v1/tasks/task_1", headers=CANONICAL)

    assert await response.read() == raw
    assert response.headers["Moda-Version"] == "2026-05-01"


async def test_large_uploads_and_downloads_stream_through_whole(
    aiohttp_server: AiohttpServer, start_proxy: ProxyFactory
) -> None:
    payload = bytes(range(256)) * (12 * 1024 * 4)  # 12 MiB, beyond every buffer the proxy keeps

    async def echo(request: web.Request, received: bytes) -> web.StreamResponse:
        return web.Response(body=received, content_type="application/octet-stream")

    upstream = RecordingUpstream(echo)
    proxy = await start_proxy(await _recording(aiohttp_server, upstream))

    response = await proxy.post(
        "/v1/uploads",
        data=io.BytesIO(payload),
        headers={**AUTH, "Content-Type": "application/octet-stream"},
    )

    assert response.status == 200
    assert await response.read() == payload
    assert upstream.calls[0].body == payload


async def test_a_body_over_the_limit_is_refused_before_reaching_the_upstream(
    aiohttp_server: AiohttpServer, start_proxy: ProxyFactory
) -> None:
    upstream = RecordingUpstream(answer())
    proxy = await start_proxy(
        await _recording(aiohttp_server, upstream), server={"max_body_bytes": 1000}
    )

    response = await proxy.post("/v1/uploads", data=b"x" * 2000, headers=AUTH)

    assert response.status == 413
    assert (await response.json())["error"]["code"] == "request_too_large"
    assert upstream.calls == []


async def _raw_exchange(port: int, request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    writer.close()
    await writer.wait_closed()
    return head


async def test_absolute_form_and_double_slash_targets_reach_the_configured_upstream_only(
    aiohttp_server: AiohttpServer, start_proxy: ProxyFactory
) -> None:
    upstream = RecordingUpstream(answer())
    proxy = await start_proxy(await _recording(aiohttp_server, upstream))
    assert proxy.port is not None

    for target in (b"http://evil.example/v1/x?q=1", b"//evil.example/v1/y"):
        head = await _raw_exchange(
            proxy.port,
            b"GET " + target + b" HTTP/1.1\r\nHost: evil.example\r\n"
            b"Authorization: Bearer moda_live_x\r\nConnection: close\r\n\r\n",
        )
        assert head.startswith(b"HTTP/1.1 200")

    assert [call.path_qs for call in upstream.calls] == [
        "/v1/x?q=1",
        "//evil.example/v1/y",
    ]


async def test_connect_is_refused_and_nothing_is_sent_upstream(
    aiohttp_server: AiohttpServer, start_proxy: ProxyFactory
) -> None:
    upstream = RecordingUpstream(answer())
    proxy = await start_proxy(await _recording(aiohttp_server, upstream))
    assert proxy.port is not None

    head = await _raw_exchange(
        proxy.port,
        b"CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n",
    )

    assert head.split(b" ", 2)[1] == b"405"
    assert upstream.calls == []


async def test_a_streamed_legacy_answer_says_when_its_version_ended_before_its_body(
    aiohttp_server: AiohttpServer, start_proxy: ProxyFactory
) -> None:
    # Above the size read whole, the answer's head goes out before its body: the sunset headers
    # must already be on it.
    body = b"x" * (600 * 1024)
    upstream = RecordingUpstream(answer(200, body, {"Content-Type": "application/octet-stream"}))
    proxy = await start_proxy(await _recording(aiohttp_server, upstream))

    legacy = await proxy.get("/v1/files/file_1", headers=LEGACY)
    canonical = await proxy.get("/v1/files/file_1", headers=CANONICAL)

    assert await legacy.read() == body
    assert legacy.headers["Sunset"] == "Tue, 12 May 2026 00:00:00 GMT"
    assert legacy.headers["Deprecation"].startswith("@")
    assert await canonical.read() == body
    assert "Sunset" not in canonical.headers
