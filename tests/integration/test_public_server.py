"""The public listener's own HTTP/1.1 server, spoken to byte by byte as a client's socket would."""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpServer

from tests.fakes.recording import RecordingUpstream, Responder, answer
from tests.integration.conftest import ProxyClient, ProxyFactory

_GET = b"GET /v1/whatever HTTP/1.1\r\nHost: proxy\r\nModa-Version: 2026-05-01\r\n"


_POST = b"POST /v1/things HTTP/1.1\r\nHost: proxy\r\nModa-Version: 2026-05-01\r\n"

InFront = Callable[..., Awaitable[tuple[ProxyClient, RecordingUpstream]]]


@pytest.fixture
def in_front(aiohttp_server: AiohttpServer, start_proxy: ProxyFactory) -> InFront:
    """The proxy in front of an upstream that records each request and answers with `responder`."""

    async def start(
        responder: Responder | None = None, **sections: dict[str, Any]
    ) -> tuple[ProxyClient, RecordingUpstream]:
        upstream = RecordingUpstream(responder or answer(200, b"{}"))
        server = await aiohttp_server(upstream.app())
        proxy = await start_proxy(str(server.make_url("")).rstrip("/"), **sections)
        return proxy, upstream

    return start


@contextlib.asynccontextmanager
async def _open(
    proxy: ProxyClient,
) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    port = proxy.server.port
    assert port is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        yield reader, writer
    finally:
        writer.close()
        await writer.wait_closed()


async def _read_answer(reader: asyncio.StreamReader) -> tuple[str, dict[str, str], bytes]:
    """One answer: its status line, headers (lower-case names) and body."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
    status, *fields = head[:-4].split("\r\n")
    headers = {name.lower(): value for name, _, value in (f.partition(": ") for f in fields)}
    length = int(headers.get("content-length", "0"))
    return status, headers, await reader.readexactly(length)


@contextlib.asynccontextmanager
async def _send(proxy: ProxyClient, data: bytes) -> AsyncIterator[asyncio.StreamReader]:
    async with _open(proxy) as (reader, writer):
        writer.write(data)
        yield reader


async def test_pipelined_requests_are_answered_in_order(
    in_front: InFront,
) -> None:
    proxy, upstream = await in_front(answer(200, b'{"ok":true}'))
    pipelined = b"".join(
        _GET.replace(b"whatever", f"item-{n}".encode()) + f"X-Request-ID: req-{n}\r\n\r\n".encode()
        for n in range(3)
    )
    async with _send(proxy, pipelined) as reader:
        ids = [(await _read_answer(reader))[1]["x-request-id"] for _ in range(3)]

    assert ids == ["req-0", "req-1", "req-2"]
    assert [call.path_qs for call in upstream.calls] == [f"/v1/item-{n}" for n in range(3)]


async def test_a_request_that_is_not_http_gets_moda_envelope_and_the_connection_closes(
    proxy: ProxyClient,
) -> None:
    async with _send(proxy, b"GET /v1/tasks HTTP/1.1\r\nBad Header\r\n\r\n") as reader:
        status, headers, body = await _read_answer(reader)
        rest = await reader.read()

    assert status == "HTTP/1.1 400 Bad Request"
    assert headers["connection"] == "close"
    assert headers["moda-version"] == "2026-04-12"
    assert headers["sunset"] == "Tue, 12 May 2026 00:00:00 GMT"
    error = json.loads(body)["error"]
    assert error["code"] == "invalid_request"
    assert error["request_id"] == headers["x-request-id"]
    assert rest == b""


async def test_ambiguous_framing_is_refused_and_never_forwarded(
    in_front: InFront,
) -> None:
    proxy, upstream = await in_front()
    smuggled = (
        b"POST /v1/things HTTP/1.1\r\nHost: proxy\r\nContent-Length: 5\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /v1/smuggled HTTP/1.1\r\n\r\n"
    )
    async with _send(proxy, smuggled) as reader:
        status, _, _ = await _read_answer(reader)
        rest = await reader.read()

    assert status == "HTTP/1.1 400 Bad Request"
    assert rest == b""
    assert upstream.calls == []


async def test_a_head_larger_than_the_parser_takes_is_refused_with_431(
    proxy: ProxyClient,
) -> None:
    async with _send(proxy, _GET + b"X-Big: " + b"a" * 70_000 + b"\r\n\r\n") as reader:
        status, _, body = await _read_answer(reader)
        rest = await reader.read()

    assert status == "HTTP/1.1 431 Request Header Fields Too Large"
    assert json.loads(body)["error"]["code"] == "request_header_fields_too_large"
    assert rest == b""


async def test_expect_100_continue_gets_the_interim_answer_before_the_body_is_sent(
    in_front: InFront,
) -> None:
    proxy, upstream = await in_front(answer(201, b'{"id":"x"}'))
    async with _open(proxy) as (reader, writer):
        writer.write(_POST + b"Content-Length: 7\r\nExpect: 100-continue\r\n\r\n")
        interim = await reader.readuntil(b"\r\n\r\n")
        writer.write(b'{"a":1}')
        status, _, _ = await _read_answer(reader)

    assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert status == "HTTP/1.1 201 Created"
    assert upstream.calls[0].body == b'{"a":1}'


async def test_a_chunked_body_reaches_the_upstream_whole(
    in_front: InFront,
) -> None:
    proxy, upstream = await in_front()
    chunked = _POST + b'Transfer-Encoding: chunked\r\n\r\n4\r\n{"a"\r\n3\r\n:1}\r\n0\r\n\r\n'
    async with _send(proxy, chunked) as reader:
        status, _, _ = await _read_answer(reader)

    assert status == "HTTP/1.1 200 OK"
    assert upstream.calls[0].body == b'{"a":1}'


async def test_head_answers_name_the_length_and_send_no_body(
    in_front: InFront,
) -> None:
    proxy, _ = await in_front(answer(404, b'{"error":{"type":"not_found"}}'))
    both = _GET.replace(b"GET", b"HEAD") + b"\r\n" + _GET + b"Connection: close\r\n\r\n"
    async with _send(proxy, both) as reader:
        head_status, head_headers, _ = await _read_answer_without_body(reader)
        get_status, _, get_body = await _read_answer(reader)

    assert head_status == get_status == "HTTP/1.1 404 Not Found"
    assert int(head_headers["content-length"]) == len(get_body) > 0


async def _read_answer_without_body(
    reader: asyncio.StreamReader,
) -> tuple[str, dict[str, str], bytes]:
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
    status, *fields = head[:-4].split("\r\n")
    return status, {n.lower(): v for n, _, v in (f.partition(": ") for f in fields)}, b""


async def test_http_1_0_clients_get_one_answer_then_the_connection_closes(
    in_front: InFront,
) -> None:
    proxy, _ = await in_front()
    async with _send(proxy, _GET.replace(b"HTTP/1.1", b"HTTP/1.0") + b"\r\n") as reader:
        status, _, body = await _read_answer(reader)
        rest = await reader.read()

    assert status == "HTTP/1.0 200 OK"
    assert body == b"{}"
    assert rest == b""


async def test_an_idle_keep_alive_connection_is_closed_after_the_timeout(
    in_front: InFront,
) -> None:
    proxy, _ = await in_front(server={"keepalive_timeout_seconds": 0.2})
    async with _send(proxy, _GET + b"\r\n") as reader:
        await _read_answer(reader)
        closed = await asyncio.wait_for(reader.read(), timeout=5)

    assert closed == b""


async def test_on_shutdown_a_busy_connection_gets_its_answer_and_an_idle_one_is_closed(
    in_front: InFront,
) -> None:
    async def slow(request: web.Request, body: bytes) -> web.StreamResponse:
        await asyncio.sleep(0.3)
        return web.Response(body=b'{"slow":true}')

    proxy, _ = await in_front(slow)
    async with _open(proxy) as (idle, idle_writer), _open(proxy) as (busy, busy_writer):
        idle_writer.write(_GET + b"\r\n")
        await _read_answer(idle)
        busy_writer.write(_GET + b"\r\n")
        await asyncio.sleep(0.05)  # the busy request reaches the upstream
        closing = asyncio.create_task(proxy.server.close())

        status, _, body = await _read_answer(busy)
        idle_rest = await asyncio.wait_for(idle.read(), timeout=5)
        await closing

    assert (status, body) == ("HTTP/1.1 200 OK", b'{"slow":true}')
    assert idle_rest == b""


async def test_an_answer_given_before_the_body_arrived_closes_the_connection(
    proxy: ProxyClient,
) -> None:
    refused = (
        b"POST /v1/tasks HTTP/1.1\r\nHost: proxy\r\nModa-Version: 1999-01-01\r\n"
        b'Content-Length: 1000000\r\n\r\n{"partial"'
    )
    async with _send(proxy, refused) as reader:
        status, _, body = await _read_answer(reader)
        rest = await asyncio.wait_for(reader.read(), timeout=5)

    assert status == "HTTP/1.1 400 Bad Request"
    assert json.loads(body)["error"]["code"] == "unsupported_version"
    assert rest == b""


async def test_forty_pipelined_requests_pause_reading_and_are_all_answered_in_order(
    in_front: InFront,
) -> None:
    proxy, _ = await in_front()
    pipelined = b"".join(_GET + f"X-Request-ID: req-{n}\r\n\r\n".encode() for n in range(40))
    async with _send(proxy, pipelined) as reader:
        ids = [(await _read_answer(reader))[1]["x-request-id"] for _ in range(40)]

    assert ids == [f"req-{n}" for n in range(40)]


async def test_a_body_whose_framing_breaks_midway_is_refused_and_the_connection_closes(
    in_front: InFront,
) -> None:
    async def took_the_body(request: web.Request, body: bytes) -> web.StreamResponse:
        return web.Response(body=b"{}")

    proxy, _ = await in_front(took_the_body)
    async with _open(proxy) as (reader, writer):
        writer.write(_POST + b"Transfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n")
        await asyncio.sleep(0.1)  # the handler is streaming the body upstream
        writer.write(b"zz-not-a-chunk-size\r\n")
        status, _, body = await _read_answer(reader)
        rest = await asyncio.wait_for(reader.read(), timeout=5)

    assert status == "HTTP/1.1 400 Bad Request"
    assert "not valid HTTP/1.1" in json.loads(body)["error"]["message"]
    assert rest == b""


async def test_a_request_still_busy_when_the_grace_ends_is_cut(
    in_front: InFront,
) -> None:
    async def stuck(request: web.Request, body: bytes) -> web.StreamResponse:
        await asyncio.sleep(5)
        return web.Response(body=b"{}")

    proxy, _ = await in_front(stuck, server={"shutdown_grace_seconds": 0.2})
    async with _send(proxy, _GET + b"\r\n") as reader:
        await asyncio.sleep(0.05)
        await asyncio.wait_for(proxy.server.close(), timeout=3)
        rest = await asyncio.wait_for(reader.read(), timeout=3)

    assert rest == b""
