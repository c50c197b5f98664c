"""Harder upstream faults, client misbehaviour and isolation: prompt answers, nothing leaked."""

import asyncio
import gzip
import json
import logging

import aiohttp
import pytest
from aiohttp import web
from prometheus_client import generate_latest
from pytest_aiohttp import AiohttpClient, AiohttpServer

from proxy.app import create_app
from proxy.keys import REGISTRY, WAIT_HUB
from tests.factories import make_task
from tests.fakes.clock import ManualClock
from tests.fakes.faulty import RawUpstream, cut_short_after, drip
from tests.fakes.recording import RecordingUpstream, answer
from tests.integration.conftest import LEGACY, ProxyFactory, make_settings

DECLARED_BIG = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"
)


@pytest.fixture
async def raw() -> asyncio.Queue[RawUpstream]:
    return asyncio.Queue()


async def _start(upstream: RawUpstream, started: list[RawUpstream]) -> str:
    started.append(upstream)
    return await upstream.start()


@pytest.mark.parametrize("path", ["/v1/tasks/task_1", "/v1/credits"])
async def test_a_body_that_stalls_midway_gives_504(start_proxy: ProxyFactory, path: str) -> None:
    upstream = RawUpstream(drip(DECLARED_BIG, b" ", every=1.0, times=3))
    try:
        proxy = await start_proxy(await upstream.start(), upstream={"timeout_seconds": 0.3})
        response = await proxy.get(path, headers=LEGACY)
        assert response.status == 504
        assert (await response.json())["error"]["code"] == "upstream_timeout"
    finally:
        await upstream.close()


async def test_a_translated_body_dripping_past_the_timeout_gives_504(
    start_proxy: ProxyFactory,
) -> None:
    upstream = RawUpstream(drip(DECLARED_BIG, b" ", every=0.1, times=30))
    try:
        proxy = await start_proxy(await upstream.start(), upstream={"timeout_seconds": 0.5})
        loop = asyncio.get_running_loop()
        started = loop.time()
        response = await proxy.get("/v1/tasks/task_1", headers=LEGACY)
        assert response.status == 504
        assert loop.time() - started < 2
    finally:
        await upstream.close()


async def test_an_enormous_body_on_a_translated_route_is_refused_and_streams_elsewhere(
    aiohttp_server: AiohttpServer, start_proxy: ProxyFactory
) -> None:
    huge = json.dumps({**make_task(), "padding": "x" * (3 * 1024 * 1024)}).encode()
    server = await aiohttp_server(RecordingUpstream(answer(200, huge)).app())
    proxy = await start_proxy(str(server.make_url("")).rstrip("/"))
    translated = await proxy.get("/v1/tasks/task_1", headers=LEGACY)
    assert translated.status == 502
    assert (await translated.json())["error"]["code"] == "upstream_invalid_response"
    passed = await proxy.get("/v1/anything", headers=LEGACY)
    assert await passed.read() == huge


async def test_a_5xx_without_an_envelope_is_passed_through_as_it_was(
    aiohttp_server: AiohttpServer, start_proxy: ProxyFactory
) -> None:
    server = await aiohttp_server(RecordingUpstream(answer(500, b"Internal Server Error")).app())
    proxy = await start_proxy(str(server.make_url("")).rstrip("/"))
    response = await proxy.get("/v1/tasks/task_1", headers=LEGACY)
    assert (response.status, await response.read()) == (500, b"Internal Server Error")


async def test_a_client_leaving_mid_body_leaves_the_proxy_serving(
    aiohttp_server: AiohttpServer, start_proxy: ProxyFactory
) -> None:
    server = await aiohttp_server(
        RecordingUpstream(answer(202, json.dumps(make_task()).encode())).app()
    )
    proxy = await start_proxy(str(server.make_url("")).rstrip("/"))
    assert proxy.port is not None
    _, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    writer.write(b'POST /v1/tasks HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"prompt":')
    await writer.drain()
    writer.close()
    await writer.wait_closed()
    await asyncio.sleep(0.05)
    response = await proxy.post("/v1/tasks", json={"prompt": "x"}, headers=LEGACY)
    assert response.status == 202


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Moda-Version": "v2026-04-12"}, 400),
        ({"Moda-Version": "2026-04-12, 2026-05-01"}, 400),
        ({"Prefer": "wait=;;;,,,=="}, 202),
        ({"Content-Type": "text/plain"}, 202),
    ],
)
async def test_malformed_headers_get_an_answer_never_a_crash(
    aiohttp_server: AiohttpServer, start_proxy: ProxyFactory, headers: dict[str, str], status: int
) -> None:
    server = await aiohttp_server(
        RecordingUpstream(answer(202, json.dumps(make_task()).encode())).app()
    )
    proxy = await start_proxy(str(server.make_url("")).rstrip("/"))
    response = await proxy.post("/v1/tasks", data=b'{"prompt": "x"}', headers={**LEGACY, **headers})
    assert response.status == status


async def test_two_credentials_waiting_on_one_task_id_never_share_a_poll_loop(
    aiohttp_server: AiohttpServer, aiohttp_client: AiohttpClient
) -> None:
    async def running(request: web.Request, body: bytes) -> web.StreamResponse:
        return web.json_response(make_task(status="running", retry_after_ms=60_000))

    server = await aiohttp_server(RecordingUpstream(running).app())
    settings = make_settings(str(server.make_url("")).rstrip("/"))
    clock = ManualClock()  # nothing moves it: the waits stay held until cancelled
    proxy = await aiohttp_client(create_app(settings, clock=clock))
    hub = proxy.app[WAIT_HUB]
    waits = [
        asyncio.ensure_future(
            proxy.get(
                "/v1/tasks/task_1",
                headers={**LEGACY, "Authorization": f"Bearer {key}", "Prefer": "wait=1"},
            )
        )
        for key in ("moda_live_a", "moda_live_b")
    ]
    for _ in range(50):
        await asyncio.sleep(0.01)
        if hub.watched_tasks == 2:
            break
    assert hub.watched_tasks == 2
    for wait in waits:
        wait.cancel()


async def test_no_credential_or_secret_reaches_logs_metrics_or_error_bodies(
    start_proxy: ProxyFactory, caplog: pytest.LogCaptureFixture, access_lines: list[bytes]
) -> None:
    proxy = await start_proxy()
    secret_headers = {**LEGACY, "Authorization": "Bearer moda_live_topsecret"}
    with caplog.at_level(logging.DEBUG):
        bodies = [
            await (
                await proxy.get("/v1/tasks/task_00000000000000000000000000", headers=secret_headers)
            ).text(),
            await (await proxy.get("/v1/canvases?offset=-1", headers=secret_headers)).text(),
            await (
                await proxy.post("/-/webhooks/relay/forged", data=b"{}", headers=secret_headers)
            ).text(),
            await (
                await proxy.get("/v1/x", headers={**secret_headers, "Moda-Version": "bad"})
            ).text(),
        ]
    metrics = generate_latest(proxy.app[REGISTRY]).decode()
    logs = "\n".join(record.getMessage() for record in caplog.records)
    logs += b"".join(access_lines).decode()
    assert len(access_lines) == 4
    for text in (*bodies, metrics, logs):
        assert "topsecret" not in text
        assert "whsec_" not in text


async def test_oversized_headers_get_a_431_in_the_envelope(start_proxy: ProxyFactory) -> None:
    proxy = await start_proxy()
    bulky = {f"X-Bulk-{n}": "b" * 7000 for n in range(3)}  # each field within HTTP's own limits
    response = await proxy.get("/v1/credits", headers={**LEGACY, **bulky})
    assert response.status == 431
    assert (await response.json())["error"]["code"] == "request_header_fields_too_large"


async def test_a_body_sent_too_slowly_gets_a_408_in_the_envelope(
    aiohttp_server: AiohttpServer, start_proxy: ProxyFactory
) -> None:
    upstream = RecordingUpstream(answer(202, json.dumps(make_task()).encode()))
    server = await aiohttp_server(upstream.app())
    proxy = await start_proxy(
        str(server.make_url("")).rstrip("/"), server={"client_body_timeout_seconds": 0.3}
    )
    assert proxy.port is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    writer.write(
        b"POST /v1/tasks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer moda_live_x\r\n"
        b'Content-Type: application/json\r\nContent-Length: 40\r\n\r\n{"prompt":'
    )
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)
    writer.close()
    await writer.wait_closed()
    assert head.startswith(b"HTTP/1.1 408")
    assert upstream.calls == []


@pytest.mark.parametrize(
    "framing",
    [
        b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
    ],
    ids=["length-and-chunked", "two-lengths"],
)
async def test_smuggling_shapes_are_refused_and_never_forwarded(
    aiohttp_server: AiohttpServer, start_proxy: ProxyFactory, framing: bytes
) -> None:
    upstream = RecordingUpstream(answer())
    server = await aiohttp_server(upstream.app())
    proxy = await start_proxy(str(server.make_url("")).rstrip("/"))
    assert proxy.port is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    writer.write(b"POST /v1/uploads HTTP/1.1\r\nHost: x\r\n" + framing)
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)
    writer.close()
    await writer.wait_closed()
    assert head.split(b" ", 2)[1] == b"400"
    assert upstream.calls == []


@pytest.mark.parametrize(
    "page",
    [{"data": {"id": 1}}, {"data": [], "next_cursor": 7}, {"items": []}, ["not", "a", "page"]],
)
async def test_a_list_page_of_the_wrong_shape_gives_502(
    aiohttp_server: AiohttpServer, start_proxy: ProxyFactory, page: object
) -> None:
    server = await aiohttp_server(RecordingUpstream(answer(200, json.dumps(page).encode())).app())
    proxy = await start_proxy(str(server.make_url("")).rstrip("/"))
    response = await proxy.get("/v1/canvases", headers=LEGACY)
    assert response.status == 502
    assert (await response.json())["error"]["code"] == "upstream_invalid_response"


async def test_a_compressed_answer_is_decoded_before_it_is_translated(
    aiohttp_server: AiohttpServer, start_proxy: ProxyFactory
) -> None:
    body = gzip.compress(json.dumps(make_task()).encode())
    upstream = RecordingUpstream(answer(200, body, {"Content-Encoding": "gzip"}))
    server = await aiohttp_server(upstream.app())
    proxy = await start_proxy(str(server.make_url("")).rstrip("/"))
    response = await proxy.get("/v1/tasks/task_1", headers=LEGACY)
    assert response.status == 200
    assert "Content-Encoding" not in response.headers
    assert (await response.json())["status"] == "queued"
    assert upstream.calls[0].headers["Accept-Encoding"] == "identity"


async def test_a_corrupt_or_unknown_encoding_gives_502(
    aiohttp_server: AiohttpServer, start_proxy: ProxyFactory
) -> None:
    for encoding, body in (("gzip", b"not gzip"), ("br", b"\x00")):
        server = await aiohttp_server(
            RecordingUpstream(answer(200, body, {"Content-Encoding": encoding})).app()
        )
        proxy = await start_proxy(str(server.make_url("")).rstrip("/"))
        response = await proxy.get("/v1/tasks/task_1", headers=LEGACY)
        assert response.status == 502
        assert (await response.json())["error"]["code"] == "upstream_invalid_response"


async def test_a_streamed_body_cut_midway_reaches_the_client_as_a_cut(
    start_proxy: ProxyFactory,
) -> None:
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Length: 5000000\r\n\r\n"
    )
    upstream = RawUpstream(cut_short_after(head, b"x" * 300_000))
    try:
        proxy = await start_proxy(await upstream.start())
        response = await proxy.get("/v1/uploads/file_1", headers=LEGACY)
        assert response.status == 200  # the status line was already sent when the body broke
        with pytest.raises(aiohttp.ClientPayloadError):
            await response.read()
        after = await proxy.get("/v1/uploads/file_1", headers=LEGACY)
        assert after.status == 200
        after.release()
    finally:
        await upstream.close()
