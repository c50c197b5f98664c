"""Defects an operator tripped over running the proxy as a new user (issue 14), one test each."""

import asyncio
import gzip
import io
import json
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from multidict import CIMultiDict
from prometheus_client import generate_latest
from pytest_aiohttp import AiohttpServer

from proxy.keys import REGISTRY
from tests.factories import make_task
from tests.fakes.faulty import RawUpstream, hang
from tests.fakes.recording import Received, RecordingUpstream, answer
from tests.integration.conftest import AUTH, CANONICAL, LEGACY, ProxyClient, ProxyFactory

SUNSET_HEADERS = ("Deprecation", "Sunset", "Link")


async def _upstream_url(aiohttp_server: AiohttpServer, upstream: RecordingUpstream) -> str:
    server = await aiohttp_server(upstream.app())
    return str(server.make_url("")).rstrip("/")


async def test_a_gzip_bomb_is_refused_without_inflating_it(
    aiohttp_server: AiohttpServer, start_proxy: ProxyFactory
) -> None:
    # Valid JSON once inflated (a task padded with whitespace), 4 MiB from a few KiB on the wire.
    inflated = json.dumps(make_task()).encode() + b" " * (4 * 1024 * 1024)
    bomb = gzip.compress(inflated)
    assert len(bomb) < 64 * 1024
    upstream = RecordingUpstream(answer(200, bomb, {"Content-Encoding": "gzip"}))
    proxy = await start_proxy(
        await _upstream_url(aiohttp_server, upstream),
        server={"max_translated_body_bytes": 64 * 1024},
    )
    response = await proxy.get("/v1/tasks/task_1", headers=LEGACY)
    assert response.status == 502
    error = (await response.json())["error"]
    assert (error["code"], error["details"]) == (
        "upstream_invalid_response",
        {"upstream_status": 200},
    )


async def test_a_truncated_gzip_body_is_corrupt(
    aiohttp_server: AiohttpServer, start_proxy: ProxyFactory
) -> None:
    cut = gzip.compress(json.dumps(make_task()).encode())[:-12]
    upstream = RecordingUpstream(answer(200, cut, {"Content-Encoding": "gzip"}))
    proxy = await start_proxy(await _upstream_url(aiohttp_server, upstream))
    response = await proxy.get("/v1/tasks/task_1", headers=LEGACY)
    assert response.status == 502
    assert (await response.json())["error"]["code"] == "upstream_invalid_response"


async def _raw_answer(proxy: ProxyClient, head: bytes) -> tuple[int, CIMultiDict[str]]:
    """Sends a head as bytes, so no client library tidies its target; the status and headers."""
    assert proxy.port is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    writer.write(head)
    await writer.drain()
    lines = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)).decode()
    writer.close()
    await writer.wait_closed()
    status_line, *fields = lines.strip().split("\r\n")
    headers: CIMultiDict[str] = CIMultiDict()
    for field in fields:
        name, value = field.split(": ", 1)
        headers.add(name, value)
    return int(status_line.split(" ")[1]), headers


def _head(method: str, target: str, headers: dict[str, str]) -> bytes:
    fields = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return f"{method} {target} HTTP/1.1\r\nHost: x\r\n{fields}Connection: close\r\n\r\n".encode()


@pytest.mark.parametrize(
    ("method", "target", "status"),
    [
        ("GET", "/v1/../v1/credits", 400),
        ("GET", "/v1/%2e%2e/credits", 400),
        ("CONNECT", "x:443", 405),
    ],
)
@pytest.mark.parametrize("asked", [LEGACY, AUTH], ids=["legacy", "default-version"])
async def test_the_proxys_own_refusals_to_legacy_clients_carry_the_sunset_headers(
    start_proxy: ProxyFactory, method: str, target: str, status: int, asked: dict[str, str]
) -> None:
    proxy = await start_proxy()
    answered, headers = await _raw_answer(proxy, _head(method, target, asked))
    assert (answered, headers["Moda-Version"]) == (status, "2026-04-12")
    assert headers["Deprecation"] == "@1777593600"
    assert headers["Sunset"] == "Tue, 12 May 2026 00:00:00 GMT"
    assert 'rel="successor-version"' in headers["Link"]


async def test_a_refusal_to_a_canonical_client_names_its_version_and_no_sunset(
    start_proxy: ProxyFactory,
) -> None:
    proxy = await start_proxy()
    answered, headers = await _raw_answer(proxy, _head("GET", "/v1/../v1/credits", CANONICAL))
    assert (answered, headers["Moda-Version"]) == (400, "2026-05-01")
    assert not any(name in headers for name in SUNSET_HEADERS)


async def test_every_version_is_labelled_by_route_and_unknown_paths_stay_unmatched(
    start_proxy: ProxyFactory, access_lines: list[bytes]
) -> None:
    proxy = await start_proxy()
    created = await (await proxy.post("/v1/tasks", json={"prompt": "x"}, headers=CANONICAL)).json()
    await proxy.get(f"/v1/tasks/{created['id']}", headers=CANONICAL)
    await proxy.get("/v1/credits", headers=CANONICAL)
    await proxy.get("/v1/credits", headers=LEGACY)
    await proxy.get("/v1/no-such-thing/42", headers=CANONICAL)

    routes = [(line["version"], line["route"]) for line in map(json.loads, access_lines)]
    assert routes == [
        ("2026-05-01", "POST /v1/tasks"),
        ("2026-05-01", "GET /v1/tasks/{id}"),
        ("2026-05-01", "GET /v1/credits"),
        ("2026-04-12", "GET /v1/credits"),
        ("2026-05-01", "unmatched"),
    ]
    metrics = generate_latest(proxy.app[REGISTRY]).decode()
    assert (
        'proxy_requests_total{route="POST /v1/tasks",status_class="2xx",version="2026-05-01"}'
        in (metrics)
    )
    assert 'route="unmatched",status_class="4xx",version="2026-05-01"} 1.0' in metrics


UPSTREAM_ID = "0199aaaa-upstream-own-id"
# A translated route, a buffered pass-through, and a pass-through streamed back.
ROUTES = ["/v1/tasks/task_1", "/v1/credits", "/v1/uploads/file_1"]


async def _upstream_with_its_own_ids(
    aiohttp_server: AiohttpServer,
) -> tuple[RecordingUpstream, str]:
    small = json.dumps(make_task()).encode()

    async def respond(request: web.Request, received: bytes) -> web.StreamResponse:
        body = b"x" * (512 * 1024) if request.path.startswith("/v1/uploads") else small
        return web.Response(body=body, headers={"X-Request-ID": UPSTREAM_ID})

    upstream = RecordingUpstream(respond)
    return upstream, await _upstream_url(aiohttp_server, upstream)


def _sent_id(call: Received) -> str | None:
    return call.headers.get("X-Request-ID")


@pytest.mark.parametrize("path", ROUTES)
async def test_a_sane_client_request_id_names_the_request_end_to_end(
    aiohttp_server: AiohttpServer, start_proxy: ProxyFactory, access_lines: list[bytes], path: str
) -> None:
    upstream, url = await _upstream_with_its_own_ids(aiohttp_server)
    proxy = await start_proxy(url)
    response = await proxy.get(path, headers={**LEGACY, "X-Request-ID": "client-rid.1"})
    await response.read()
    assert response.headers["X-Request-ID"] == "client-rid.1"
    assert [_sent_id(call) for call in upstream.calls] == ["client-rid.1"]
    [line] = map(json.loads, access_lines)
    assert (line["request_id"], line["upstream_request_id"]) == ("client-rid.1", UPSTREAM_ID)


@pytest.mark.parametrize("path", ROUTES)
async def test_a_client_request_id_that_is_not_sane_is_replaced_by_the_proxys_own(
    aiohttp_server: AiohttpServer, start_proxy: ProxyFactory, access_lines: list[bytes], path: str
) -> None:
    upstream, url = await _upstream_with_its_own_ids(aiohttp_server)
    proxy = await start_proxy(url)
    response = await proxy.get(path, headers={**LEGACY, "X-Request-ID": "not sane/" + "x" * 200})
    await response.read()
    own = response.headers["X-Request-ID"]
    assert own not in (UPSTREAM_ID, "")
    assert "not sane" not in own
    assert [_sent_id(call) for call in upstream.calls] == [own]
    [line] = map(json.loads, access_lines)
    assert (line["request_id"], line["upstream_request_id"]) == (own, UPSTREAM_ID)


@pytest.mark.parametrize("path", ROUTES)
async def test_without_a_client_request_id_the_upstreams_names_the_request(
    aiohttp_server: AiohttpServer, start_proxy: ProxyFactory, access_lines: list[bytes], path: str
) -> None:
    upstream, url = await _upstream_with_its_own_ids(aiohttp_server)
    proxy = await start_proxy(url)
    response = await proxy.get(path, headers=LEGACY)
    await response.read()
    assert response.headers["X-Request-ID"] == UPSTREAM_ID
    assert [_sent_id(call) for call in upstream.calls] == [None]
    [line] = map(json.loads, access_lines)
    assert line["request_id"] == UPSTREAM_ID
    assert "upstream_request_id" not in line


async def test_an_answer_the_proxy_cannot_translate_keeps_the_upstreams_request_id(
    aiohttp_server: AiohttpServer, start_proxy: ProxyFactory
) -> None:
    paused = json.dumps(make_task(status="paused")).encode()
    upstream = RecordingUpstream(answer(200, paused, {"X-Request-ID": UPSTREAM_ID}))
    proxy = await start_proxy(await _upstream_url(aiohttp_server, upstream))
    response = await proxy.get("/v1/tasks/task_1", headers=LEGACY)
    assert response.status == 502
    assert response.headers["X-Request-ID"] == UPSTREAM_ID
    assert (await response.json())["error"]["request_id"] == UPSTREAM_ID


async def _trickle(chunks: int, every: float) -> AsyncIterator[bytes]:
    for _ in range(chunks):
        await asyncio.sleep(every)
        yield b"u" * 1024


async def _echo_length(request: web.Request, received: bytes) -> web.StreamResponse:
    return web.json_response({"received": len(received)})


async def test_an_upload_still_flowing_past_the_upstream_timeout_succeeds(
    aiohttp_server: AiohttpServer, start_proxy: ProxyFactory
) -> None:
    upstream = RecordingUpstream(_echo_length)
    proxy = await start_proxy(
        await _upstream_url(aiohttp_server, upstream), upstream={"timeout_seconds": 0.2}
    )
    # 0.6 s of upload, three times the upstream's timeout, never pausing for long.
    response = await proxy.post("/v1/uploads", data=_trickle(12, every=0.05), headers=AUTH)
    assert response.status == 200
    assert await response.json() == {"received": 12 * 1024}


async def test_the_upstreams_answer_is_timed_from_the_end_of_the_body(
    aiohttp_server: AiohttpServer, start_proxy: ProxyFactory
) -> None:
    async def never_answer(request: web.Request, received: bytes) -> web.StreamResponse:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    upstream = RecordingUpstream(never_answer)
    proxy = await start_proxy(
        await _upstream_url(aiohttp_server, upstream), upstream={"timeout_seconds": 0.2}
    )
    response = await proxy.post("/v1/uploads", data=_trickle(6, every=0.05), headers=AUTH)
    assert response.status == 504
    assert (await response.json())["error"]["code"] == "upstream_timeout"
    assert [len(call.body) for call in upstream.calls] == [6 * 1024]


async def test_an_upstream_that_takes_no_body_in_times_out(start_proxy: ProxyFactory) -> None:
    release = asyncio.Event()
    upstream = RawUpstream(hang(release))  # reads the head, never a byte of the body
    try:
        proxy = await start_proxy(await upstream.start(), upstream={"timeout_seconds": 0.3})
        # More than loopback socket buffers hold, so the upload must wait on the upstream.
        payload = b"x" * (48 * 1024 * 1024)
        response = await asyncio.wait_for(
            proxy.post("/v1/uploads", data=io.BytesIO(payload), headers=AUTH), timeout=10
        )
        assert response.status == 504
    finally:
        release.set()
        await upstream.close()


async def test_a_stalled_upload_gets_a_408_in_the_envelope(
    aiohttp_server: AiohttpServer, start_proxy: ProxyFactory
) -> None:
    upstream = RecordingUpstream(_echo_length)
    proxy = await start_proxy(
        await _upstream_url(aiohttp_server, upstream),
        upstream={"timeout_seconds": 30},
        server={"client_body_timeout_seconds": 0.2},
    )
    assert proxy.port is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    writer.write(
        b"POST /v1/uploads HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer moda_live_x\r\n"
        b"Content-Length: 1000\r\n\r\n" + b"u" * 100
    )
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)
    length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
    body = json.loads(await reader.readexactly(length))
    writer.close()
    await writer.wait_closed()
    assert head.startswith(b"HTTP/1.1 408")
    assert body["error"]["code"] == "request_timeout"
    assert upstream.calls == []


async def test_a_chunked_upload_growing_past_the_limit_is_a_413(
    aiohttp_server: AiohttpServer, start_proxy: ProxyFactory
) -> None:
    upstream = RecordingUpstream(_echo_length)
    proxy = await start_proxy(
        await _upstream_url(aiohttp_server, upstream), server={"max_body_bytes": 4096}
    )
    response = await proxy.post("/v1/uploads", data=_trickle(8, every=0), headers=AUTH)
    assert response.status == 413
    assert (await response.json())["error"]["code"] == "request_too_large"
