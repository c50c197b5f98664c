"""The upstream client (proxy.server.http1) against loopback upstreams scripted byte for byte:
keep-alive and its limits, framing, streamed bodies, timeouts, TLS and request heads, through
`Upstream` and `ConnectionPool` directly and through the real proxy where a client can see it."""

import asyncio
import hashlib
import itertools
import json
import os
import socket
import time
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
from multidict import CIMultiDict
from yarl import URL

from proxy.core.messages import ApiRequest, Query
from proxy.errors import UpstreamTimeout, UpstreamUnavailable
from proxy.server.http1 import ConnectionPool
from proxy.server.upstream import Upstream
from tests.factories import make_task
from tests.fakes.certificates import self_signed
from tests.fakes.faulty import free_port_url
from tests.fakes.http1_upstream import Exchange, Http1Upstream, Script, answering, response
from tests.integration.conftest import AUTH, LEGACY, ProxyFactory

TASK = json.dumps(make_task()).encode()

Serve = Callable[..., Awaitable[tuple[Http1Upstream, str]]]
Connect = Callable[..., Awaitable[Upstream]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    started: list[Http1Upstream] = []

    async def start(script: Script, **options: Any) -> tuple[Http1Upstream, str]:
        upstream = Http1Upstream(script, **options)
        started.append(upstream)
        return upstream, await upstream.start()

    yield start
    for upstream in started:
        await upstream.close()


@pytest.fixture
async def connect() -> AsyncIterator[Connect]:
    opened: list[Upstream] = []

    async def open_upstream(base_url: str, **options: Any) -> Upstream:
        settings = {
            "timeout_seconds": 2.0,
            "connect_timeout_seconds": 1.0,
            "max_connections": 4,
            "max_buffered_bytes": 1024 * 1024,
            **options,
        }
        upstream = Upstream(**settings)
        await upstream.open(base_url)
        opened.append(upstream)
        return upstream

    yield open_upstream
    for upstream in opened:
        await upstream.close()


def _request(
    method: str = "GET", path: str = "/v1/things", body: bytes = b"", query: Query = ()
) -> ApiRequest:
    return ApiRequest(method, path, query, {"Accept-Encoding": "identity"}, body, credential=None)


async def _echo_target(exchange: Exchange) -> bool:
    await exchange.read_body()
    exchange.send(response(200, exchange.target.encode()))
    return True


async def _eventually(condition: Callable[[], bool], seconds: float = 2.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition never came true"
        await asyncio.sleep(0.01)


def _pool_on(url: str, **options: Any) -> ConnectionPool:
    origin = URL(url)
    assert origin.host is not None
    assert origin.port is not None
    settings: dict[str, Any] = {"limit": 2, "connect_timeout_seconds": 1.0, **options}
    return ConnectionPool(host=origin.host, port=origin.port, tls=None, **settings)


_GET_HEAD = b"GET /v1/things HTTP/1.1\r\nHost: upstream\r\n\r\n"


# Keep-alive and the pool's bounds


async def test_sequential_requests_share_one_keep_alive_connection(
    serve: Serve, connect: Connect
) -> None:
    server, url = await serve(_echo_target)
    upstream = await connect(url)

    bodies = [(await upstream.send(_request(path=f"/v1/n/{n}"))).body for n in range(5)]

    assert bodies == [f"/v1/n/{n}".encode() for n in range(5)]
    assert server.accepted == 1
    assert upstream.pool.idle_connections == 1


async def test_the_pool_never_opens_more_connections_than_its_limit(
    serve: Serve, connect: Connect
) -> None:
    async def slow(exchange: Exchange) -> bool:
        await asyncio.sleep(0.1)
        return await _echo_target(exchange)

    server, url = await serve(slow)
    upstream = await connect(url, max_connections=2)
    seen_open: list[int] = []

    async def watch() -> None:
        while True:
            seen_open.append(upstream.pool.open_connections)
            await asyncio.sleep(0.005)

    watcher = asyncio.ensure_future(watch())
    try:
        answers = await asyncio.gather(
            *(upstream.send(_request(path=f"/v1/n/{n}")) for n in range(5))
        )
    finally:
        watcher.cancel()

    assert [answer.body for answer in answers] == [f"/v1/n/{n}".encode() for n in range(5)]
    assert max(seen_open) == 2
    assert (server.accepted, server.most_open) == (2, 2)


@pytest.mark.parametrize(
    "first",
    [
        response(200, b"bye", {"Connection": "close"}),
        response(200, b"bye", version="HTTP/1.0"),
    ],
    ids=["connection-close", "http-1.0"],
)
async def test_an_answer_that_ends_the_connection_is_never_reused(
    serve: Serve, connect: Connect, first: bytes
) -> None:
    # The upstream leaves the socket open: the client must not rely on it closing.
    server, url = await serve(answering(first, response(200, b"again")))
    upstream = await connect(url)

    assert (await upstream.send(_request())).body == b"bye"
    assert upstream.pool.idle_connections == 0
    assert (await upstream.send(_request())).body == b"again"

    assert server.accepted == 2
    await _eventually(lambda: 1 in server.hung_up)


async def test_a_connection_idle_past_its_expiry_is_closed_and_replaced(serve: Serve) -> None:
    server, url = await serve(_echo_target)
    pool = _pool_on(url, idle_seconds=0.2)
    try:
        for _ in range(2):
            answer, _ = await pool.fetch("GET", _GET_HEAD, b"", timeout_seconds=1, limit=100)
            assert answer.status == 200
        assert server.accepted == 1  # reused while fresh

        await asyncio.sleep(0.3)
        answer, body = await pool.fetch("GET", _GET_HEAD, b"", timeout_seconds=1, limit=100)

        assert (answer.status, body) == (200, b"/v1/things")
        assert server.accepted == 2
        await _eventually(lambda: server.hung_up == [1])
        assert pool.open_connections == 1
    finally:
        await pool.close()


async def test_a_slot_handed_to_a_waiter_that_gave_up_passes_to_the_next(serve: Serve) -> None:
    _, url = await serve(_echo_target)
    pool = _pool_on(url, limit=1)
    try:
        held = await pool.acquire()
        gave_up = asyncio.ensure_future(pool.acquire())
        patient = asyncio.ensure_future(pool.acquire())
        await asyncio.sleep(0.01)  # both wait for the one slot

        pool.release(held)  # the slot goes to the first waiter...
        gave_up.cancel()  # ...which is cancelled before it could take it

        connection = await asyncio.wait_for(patient, 1)
        pool.release(connection)
        assert gave_up.cancelled()
    finally:
        await pool.close()


async def test_a_connection_paused_for_a_slow_reader_is_reading_again_once_reused(
    serve: Serve,
) -> None:
    """An answer that arrived whole while its reader lagged (reading paused at the high-water
    mark), then was left unread: the connection goes back to the pool and must read again."""

    async def script(exchange: Exchange) -> bool:
        if exchange.number > 1:
            exchange.send(response(200, b"second"))
            return True
        exchange.send(b"HTTP/1.1 200 OK\r\nContent-Length: 263000\r\n\r\n" + b"a" * 200_000)
        await asyncio.sleep(0.1)
        exchange.send(b"b" * 63_000)  # one segment: it pushes the buffer past the mark and ends
        return True

    server, url = await serve(script)
    pool = _pool_on(url)
    try:
        async with pool.stream("GET", _GET_HEAD, _no_chunks(), chunked=False) as answer:
            await _eventually(lambda: answer.complete)
        assert pool.idle_connections == 1

        answer, body = await pool.fetch("GET", _GET_HEAD, b"", timeout_seconds=0.5, limit=100)

        assert (answer.status, body) == (200, b"second")
        assert server.accepted == 1
    finally:
        await pool.close()


async def _no_chunks() -> AsyncIterator[bytes]:
    return
    yield


# A connection the upstream dropped while it sat idle


def _dropping_reused(*, rst: bool) -> Script:
    """Answers the first request of each connection; drops the connection at the next one, as an
    upstream whose keep-alive timeout struck just as the request arrived."""

    async def script(exchange: Exchange) -> bool:
        if exchange.number > 1:
            if rst:
                exchange.reset()
            return False
        await exchange.read_body()
        status = 202 if exchange.method == "POST" else 200
        exchange.send(response(status, TASK, {"Content-Type": "application/json"}))
        return True

    return script


@pytest.mark.parametrize("rst", [False, True], ids=["fin", "rst"])
async def test_a_get_on_a_dropped_connection_is_sent_again_once_on_a_fresh_one(
    serve: Serve, connect: Connect, rst: bool
) -> None:
    server, url = await serve(_dropping_reused(rst=rst))
    upstream = await connect(url)

    await upstream.send(_request())
    answer = await upstream.send(_request())

    assert answer.status == 200
    assert server.accepted == 2
    assert [(e.connection, e.number) for e in server.exchanges] == [(1, 1), (1, 2), (2, 1)]


@pytest.mark.parametrize("rst", [False, True], ids=["fin", "rst"])
async def test_a_post_on_a_dropped_connection_is_never_sent_twice(
    serve: Serve, connect: Connect, rst: bool
) -> None:
    server, url = await serve(_dropping_reused(rst=rst))
    upstream = await connect(url)
    await upstream.send(_request())

    with pytest.raises(UpstreamUnavailable):
        await upstream.send(_request("POST", "/v1/tasks", b'{"prompt": "x"}'))

    assert [e.method for e in server.exchanges] == ["GET", "POST"]
    assert server.accepted == 1


async def test_a_get_is_retried_once_only(serve: Serve, connect: Connect) -> None:
    served = itertools.count()

    async def answers_once(exchange: Exchange) -> bool:
        if next(served) > 0:
            return False
        exchange.send(response(200, TASK))
        return True

    server, url = await serve(answers_once)
    upstream = await connect(url)
    await upstream.send(_request())

    with pytest.raises(UpstreamUnavailable):
        await upstream.send(_request())

    assert len(server.exchanges) == 3  # the first answered, then one attempt and one retry
    assert server.accepted == 2


async def test_after_a_dropped_connection_the_retry_goes_out_on_a_fresh_one(
    serve: Serve, connect: Connect
) -> None:
    dropping = _dropping_reused(rst=False)

    async def slow_first(exchange: Exchange) -> bool:
        if exchange.number == 1:
            await asyncio.sleep(0.05)  # so that the warm-up needs two connections
        return await dropping(exchange)

    server, url = await serve(slow_first)
    upstream = await connect(url)
    await asyncio.gather(upstream.send(_request()), upstream.send(_request()))
    assert upstream.pool.idle_connections == 2

    answer = await upstream.send(_request())

    # Both idle connections had idled as long: the other one is not worth a try.
    assert answer.status == 200
    assert [(e.connection, e.number) for e in server.exchanges][2:] == [(2, 2), (3, 1)]
    await _eventually(lambda: sorted(server.hung_up) == [1])


@pytest.mark.parametrize("method", ["PUT", "GET"])
async def test_a_passed_through_body_is_never_sent_twice(
    serve: Serve, start_proxy: ProxyFactory, method: str
) -> None:
    server, url = await serve(_dropping_reused(rst=False))
    proxy = await start_proxy(url, upstream={"timeout_seconds": 2})
    (await proxy.get("/v1/files/file_1", headers=LEGACY)).release()

    failed = await proxy.request(method, "/v1/files/file_1", data=b"x" * 1000, headers=LEGACY)

    assert failed.status == 502
    assert (await failed.json())["error"]["code"] == "upstream_unavailable"
    assert [e.method for e in server.exchanges] == ["GET", method]


async def test_through_the_proxy_a_dropped_connection_retries_gets_and_fails_posts_cleanly(
    serve: Serve, start_proxy: ProxyFactory
) -> None:
    server, url = await serve(_dropping_reused(rst=False))
    proxy = await start_proxy(url)

    assert (await proxy.get("/v1/tasks/task_1", headers=LEGACY)).status == 200
    assert (await proxy.get("/v1/tasks/task_1", headers=LEGACY)).status == 200
    failed = await proxy.post("/v1/tasks", json={"prompt": "x"}, headers=LEGACY)

    assert failed.status == 502
    error = (await failed.json())["error"]
    assert (error["type"], error["code"]) == ("upstream_error", "upstream_unavailable")
    assert [e.method for e in server.exchanges] == ["GET", "GET", "GET", "POST"]


async def test_a_passed_through_get_on_a_dropped_connection_is_sent_again(
    serve: Serve, start_proxy: ProxyFactory
) -> None:
    server, url = await serve(_dropping_reused(rst=False))
    proxy = await start_proxy(url)

    for _ in range(2):
        passed = await proxy.get("/v1/files/file_1", headers=LEGACY)
        assert (passed.status, await passed.read()) == (200, TASK)

    assert server.accepted == 2


# Framing of answers


@pytest.mark.parametrize("via", ["send", "stream"])
async def test_a_head_answer_ends_at_its_head(serve: Serve, connect: Connect, via: str) -> None:
    async def script(exchange: Exchange) -> bool:
        if exchange.method != "HEAD":
            return await _echo_target(exchange)
        exchange.send(b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n")
        return True  # and the connection stays open: only the method says there is no body

    server, url = await serve(script)
    upstream = await connect(url)

    if via == "send":
        answer = await asyncio.wait_for(upstream.send(_request("HEAD")), 1)
        assert (answer.status, answer.body, answer.headers["Content-Length"]) == (200, b"", "1234")
    else:
        async with upstream.stream("HEAD", "/v1/things", CIMultiDict(), None) as streamed:
            assert (streamed.status, streamed.content_length) == (200, 1234)
            assert await asyncio.wait_for(streamed.read(10_000), 1) == b""

    # llhttp was waiting for 1234 bytes that will never come: that connection cannot be reused.
    assert (await upstream.send(_request())).body == b"/v1/things"
    assert server.accepted == 2


async def test_a_head_request_through_the_proxy_does_not_hang(
    serve: Serve, start_proxy: ProxyFactory
) -> None:
    async def script(exchange: Exchange) -> bool:
        exchange.send(b'HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nETag: "e1"\r\n\r\n')
        return True

    _, url = await serve(script)
    proxy = await start_proxy(url, upstream={"timeout_seconds": 5})

    answer = await asyncio.wait_for(proxy.head("/v1/files/file_1", headers=LEGACY), 2)

    assert (answer.status, answer.headers["Content-Length"], answer.headers["ETag"]) == (
        200,
        "1234",
        '"e1"',
    )
    assert await answer.read() == b""


@pytest.mark.parametrize(
    "bodiless",
    [
        b"HTTP/1.1 204 No Content\r\n\r\n",
        b'HTTP/1.1 304 Not Modified\r\nETag: "e1"\r\nContent-Length: 50\r\n\r\n',
    ],
    ids=["204", "304"],
)
async def test_bodiless_statuses_end_at_their_head_and_keep_the_connection(
    serve: Serve, connect: Connect, bodiless: bytes
) -> None:
    server, url = await serve(answering(bodiless, response(200, b"next")))
    upstream = await connect(url)

    first = await asyncio.wait_for(upstream.send(_request()), 1)
    second = await upstream.send(_request())

    assert first.body == b""
    assert first.status in (204, 304)
    assert second.body == b"next"
    assert server.accepted == 1


async def test_interim_answers_are_skipped_for_the_real_one(serve: Serve, connect: Connect) -> None:
    async def script(exchange: Exchange) -> bool:
        await exchange.read_body()
        exchange.send(b"HTTP/1.1 100 Continue\r\n\r\n")
        await asyncio.sleep(0.02)
        exchange.send(b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n")
        await asyncio.sleep(0.02)
        exchange.send(response(201, b"made", {"X-Final": "yes"}, reason="Created"))
        return True

    server, url = await serve(script)
    upstream = await connect(url)

    answer = await asyncio.wait_for(upstream.send(_request("POST", "/v1/things", b"{}")), 1)
    again = await asyncio.wait_for(upstream.send(_request("POST", "/v1/things", b"{}")), 1)

    assert (answer.status, answer.body, answer.headers["X-Final"]) == (201, b"made", "yes")
    assert "Link" not in answer.headers
    assert again.status == 201
    assert server.accepted == 1


async def _until_close(exchange: Exchange) -> bool:
    exchange.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nhello ")
    await asyncio.sleep(0.05)
    exchange.send(b"world")
    return False


@pytest.mark.parametrize("via", ["send", "stream"])
async def test_a_body_without_a_length_ends_when_the_connection_does(
    serve: Serve, connect: Connect, via: str
) -> None:
    server, url = await serve(_until_close)
    upstream = await connect(url)

    if via == "send":
        body = (await upstream.send(_request())).body
    else:
        async with upstream.stream("GET", "/v1/things", CIMultiDict(), None) as streamed:
            assert streamed.content_length is None
            read = await streamed.read(100)
            assert read is not None
            body = read

    assert body == b"hello world"
    await upstream.send(_request())
    assert server.accepted == 2


async def test_chunked_answers_are_joined_across_reads(serve: Serve, connect: Connect) -> None:
    pieces = [
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
        b"lo\r\n1;note=space\r\n \r\n",
        b"5\r\nworld\r\n0\r\nX-Trailer: t\r\n",
        b"\r\n",
    ]

    async def script(exchange: Exchange) -> bool:
        for piece in pieces:
            exchange.send(piece)
            await asyncio.sleep(0.01)
        return True

    server, url = await serve(script)
    upstream = await connect(url)

    bodies = [(await upstream.send(_request())).body for _ in range(2)]

    assert bodies == [b"hello world"] * 2
    assert server.accepted == 1


@pytest.mark.parametrize("coding", ["chunked", "Chunked", "gzip, chunked"])
async def test_a_chunked_answer_cut_short_is_a_failure_never_a_short_body(
    serve: Serve, connect: Connect, coding: str
) -> None:
    async def script(exchange: Exchange) -> bool:
        exchange.send(f"HTTP/1.1 200 OK\r\nTransfer-Encoding: {coding}\r\n\r\n".encode())
        exchange.send(b"5\r\nhello\r\n")
        return False

    _, url = await serve(script)
    upstream = await connect(url)

    with pytest.raises(UpstreamUnavailable):
        await upstream.send(_request())
    async with upstream.stream("GET", "/v1/things", CIMultiDict(), None) as streamed:
        with pytest.raises(UpstreamUnavailable):
            await streamed.read(100)


# Garbage and cut answers on kept-alive connections (fresh ones: test_errors.py, test_faults.py)


@pytest.mark.parametrize(
    "broken",
    [b"HTTP/1.1 two hundred\r\n\r\n", b"HTTP/1.1 200 OK\r\nContent-Le"],
    ids=["garbage", "head-cut"],
)
async def test_a_broken_answer_on_a_reused_connection_fails_once_and_is_not_retried(
    serve: Serve, connect: Connect, broken: bytes
) -> None:
    async def script(exchange: Exchange) -> bool:
        if exchange.connection == 1 and exchange.number == 2:
            exchange.send(broken)
            await asyncio.sleep(0.01)
            return False
        exchange.send(response(200, b"fine"))
        return True

    server, url = await serve(script)
    upstream = await connect(url)
    await upstream.send(_request())

    with pytest.raises(UpstreamUnavailable):
        await upstream.send(_request())
    # The upstream had begun to answer: a GET sent again could run twice.
    assert len(server.exchanges) == 2

    assert (await upstream.send(_request())).body == b"fine"
    assert server.accepted == 2


@pytest.mark.parametrize(
    ("with_the_answer", "later"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstray", b""),
        (b"", b"HTTP/1.1 200 OK\r\nContent-Le"),
    ],
    ids=["whole-with-the-answer", "partial-while-idle"],
)
async def test_an_answer_nobody_asked_for_ends_the_connection(
    serve: Serve, connect: Connect, with_the_answer: bytes, later: bytes
) -> None:
    async def script(exchange: Exchange) -> bool:
        exchange.send(response(200, exchange.target.encode()) + with_the_answer)
        if later:
            await asyncio.sleep(0.05)
            exchange.send(later)
        return True

    server, url = await serve(script)
    upstream = await connect(url)

    first = await upstream.send(_request(path="/v1/first"))
    await asyncio.sleep(0.1)
    second = await upstream.send(_request(path="/v1/second"))

    assert (first.body, second.body) == (b"/v1/first", b"/v1/second")
    assert server.accepted == 2


# Streamed request bodies and streamed answers, through the proxy


async def _recording_then_ok(exchange: Exchange) -> bool:
    await exchange.read_body()
    exchange.send(response(200, b'{"ok": true}', {"Content-Type": "application/json"}))
    return True


async def test_a_streamed_upload_without_a_length_goes_upstream_chunked(
    serve: Serve, start_proxy: ProxyFactory
) -> None:
    pieces = [os.urandom(100_000), b"", os.urandom(70_000), b"\r\n0\r\n\r\n"]
    server, url = await serve(_recording_then_ok)
    proxy = await start_proxy(url)

    async def upload() -> AsyncIterator[bytes]:
        for piece in pieces:
            yield piece
            await asyncio.sleep(0.01)

    answer = await proxy.post("/v1/uploads", data=upload(), headers=AUTH)

    assert answer.status == 200
    [received] = server.exchanges
    assert received.headers["Transfer-Encoding"] == "chunked"
    assert "Content-Length" not in received.headers
    assert received.body == b"".join(pieces)
    assert received.wire_body.endswith(b"\r\n0\r\n\r\n")


@pytest.mark.parametrize("sent", [{"Content-Length": "0"}, {}], ids=["length 0", "no length"])
async def test_a_passed_through_post_without_a_body_carries_one_content_length(
    serve: Serve, start_proxy: ProxyFactory, sent: dict[str, str]
) -> None:
    # The official CLI's `moda export` sends `Content-Length: 0`: a second one is a 400 upstream.
    server, url = await serve(_recording_then_ok)
    proxy = await start_proxy(url)

    answer = await proxy.post("/v1/canvases/cvs_1/export", headers={**AUTH, **sent})

    assert answer.status == 200
    [received] = server.exchanges
    assert received.headers.getall("Content-Length") == ["0"]
    assert "Transfer-Encoding" not in received.headers


async def test_a_streamed_upload_with_a_length_goes_upstream_byte_for_byte(
    serve: Serve, start_proxy: ProxyFactory
) -> None:
    payload = os.urandom(700_000)
    server, url = await serve(_recording_then_ok)
    proxy = await start_proxy(url)

    answer = await proxy.post("/v1/uploads", data=payload, headers=AUTH)

    assert answer.status == 200
    [received] = server.exchanges
    assert received.headers["Content-Length"] == str(len(payload))
    assert "Transfer-Encoding" not in received.headers
    assert received.wire_body == payload


async def test_an_upstream_refusing_a_body_before_it_ends_is_heard_at_once(
    serve: Serve, start_proxy: ProxyFactory
) -> None:
    refusal = b'{"error":{"type":"invalid_request","code":"request_too_large"}}'

    async def refuse_early(exchange: Exchange) -> bool:
        exchange.send(response(413, refusal, {"Connection": "close"}, reason="Too Large"))
        # A lingering close: what the proxy still sends is read, so the refusal is not reset.
        await asyncio.wait_for(exchange.reader.read(), 5)
        return False

    _, url = await serve(refuse_early)
    proxy = await start_proxy(url)
    assert proxy.port is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    try:
        writer.write(
            b"POST /v1/uploads HTTP/1.1\r\nHost: proxy\r\nAuthorization: Bearer moda_live_x\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n"
        )  # and the body never ends
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 2)
    finally:
        writer.close()

    assert head.startswith(b"HTTP/1.1 413")


async def _slow_client_socket(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 * 1024)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    return await asyncio.open_connection(sock=sock)


async def test_a_large_answer_reaches_a_slow_client_whole_without_piling_up_in_the_proxy(
    serve: Serve, start_proxy: ProxyFactory
) -> None:
    total = 16 * 1024 * 1024
    payload = os.urandom(total)
    handed_over = [0]

    async def big(exchange: Exchange) -> bool:
        sock = exchange.writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
        exchange.send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % total)
        view = memoryview(payload)
        for start in range(0, total, 64 * 1024):
            exchange.send(view[start : start + 64 * 1024])
            await exchange.writer.drain()
            handed_over[0] = start + 64 * 1024
        return True

    _, url = await serve(big)
    proxy = await start_proxy(url)
    assert proxy.port is not None
    reader, writer = await _slow_client_socket(proxy.port)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        writer.write(
            b"GET /v1/files/big HTTP/1.1\r\nHost: proxy\r\n"
            b"Authorization: Bearer moda_live_x\r\nConnection: close\r\n\r\n"
        )
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200")

        # The client reads nothing for a while: the upstream must come to a standstill...
        settled, last = 0, -1
        while settled < 5:
            await asyncio.sleep(0.05)
            settled, last = (settled + 1, last) if handed_over[0] == last else (0, handed_over[0])
        held = tracemalloc.get_traced_memory()[0] - before
        assert handed_over[0] < total
        # ...with the proxy holding a bounded buffer (its high-water mark), not the answer.
        assert held < 3 * 1024 * 1024

        digest, received = hashlib.sha256(), 0
        while chunk := await reader.read(256 * 1024):
            digest.update(chunk)
            received += len(chunk)
            await asyncio.sleep(0.001)
    finally:
        tracemalloc.stop()
        writer.close()

    assert received == total
    assert digest.digest() == hashlib.sha256(payload).digest()


# Timeouts and refused connections


async def test_an_upstream_that_never_answers_times_out_and_loses_the_connection(
    serve: Serve, connect: Connect
) -> None:
    async def silent_first(exchange: Exchange) -> bool:
        if exchange.connection == 1:
            await exchange.reader.read()  # until the proxy hangs up
            server.hung_up.append(exchange.connection)
            return False
        return await _echo_target(exchange)

    server, url = await serve(silent_first)
    upstream = await connect(url, timeout_seconds=0.3)
    started = time.monotonic()

    with pytest.raises(UpstreamTimeout):
        await upstream.send(_request())

    assert 0.25 <= time.monotonic() - started < 1.0
    await _eventually(lambda: server.hung_up == [1], seconds=1)
    assert upstream.pool.open_connections == 0
    assert (await upstream.send(_request())).body == b"/v1/things"
    assert server.accepted == 2


async def test_a_port_nobody_listens_on_fails_fast_and_gives_its_slot_back(
    connect: Connect,
) -> None:
    upstream = await connect(
        free_port_url(), max_connections=1, timeout_seconds=5, connect_timeout_seconds=5
    )
    started = time.monotonic()

    for _ in range(3):
        with pytest.raises(UpstreamUnavailable):
            await upstream.send(_request())

    assert time.monotonic() - started < 1.0
    assert upstream.pool.open_connections == 0


async def test_a_streamed_upload_to_a_port_nobody_listens_on_is_a_prompt_502(
    start_proxy: ProxyFactory,
) -> None:
    proxy = await start_proxy(free_port_url(), upstream={"connect_timeout_seconds": 5})
    started = time.monotonic()

    answer = await proxy.post("/v1/uploads", data=b"x" * 10_000, headers=AUTH)

    assert answer.status == 502
    assert (await answer.json())["error"]["code"] == "upstream_unavailable"
    assert time.monotonic() - started < 1.0


# TLS


async def test_an_https_upstream_with_an_untrusted_certificate_is_refused(
    serve: Serve, start_proxy: ProxyFactory, tmp_path: Path
) -> None:
    certificate = await self_signed(tmp_path, "localhost", "DNS:localhost", "IP:127.0.0.1")
    server, url = await serve(_echo_target, tls=certificate.server_context())
    proxy = await start_proxy(url)

    answer = await proxy.get("/v1/files/file_1", headers=LEGACY)

    assert answer.status == 502
    assert (await answer.json())["error"]["code"] == "upstream_unavailable"
    assert server.exchanges == []


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_an_https_upstream_is_reached_with_a_context_that_trusts_it(
    serve: Serve, connect: Connect, tmp_path: Path, host: str
) -> None:
    certificate = await self_signed(tmp_path, "localhost", "DNS:localhost", "IP:127.0.0.1")
    server, url = await serve(_echo_target, tls=certificate.server_context())
    port = URL(url).port
    upstream = await connect(f"https://{host}:{port}", tls_context=certificate.trusting_context())

    bodies = [(await upstream.send(_request())).body for _ in range(2)]

    assert bodies == [b"/v1/things"] * 2
    assert server.accepted == 1
    assert server.exchanges[0].headers["Host"] == f"{host}:{port}"


async def test_a_trusted_certificate_for_another_name_is_refused(
    serve: Serve, connect: Connect, tmp_path: Path
) -> None:
    certificate = await self_signed(tmp_path, "other.example", "DNS:other.example")
    server, url = await serve(_echo_target, tls=certificate.server_context())
    upstream = await connect(url, tls_context=certificate.trusting_context())

    with pytest.raises(UpstreamUnavailable):
        await upstream.send(_request())
    assert server.exchanges == []


# Request heads


@pytest.mark.parametrize(
    ("base_url", "request_line", "host"),
    [
        ("http://127.0.0.1:8080", "GET /v1/x HTTP/1.1", "127.0.0.1:8080"),
        ("http://[::1]:8080", "GET /v1/x HTTP/1.1", "[::1]:8080"),
        ("http://example.test:80", "GET /v1/x HTTP/1.1", "example.test"),
        ("https://example.test", "GET /v1/x HTTP/1.1", "example.test"),
        ("https://example.test:80", "GET /v1/x HTTP/1.1", "example.test:80"),
        ("https://example.test:443/api/", "GET /api/v1/x HTTP/1.1", "example.test"),
        ("http://example.test:8000/a/b", "GET /a/b/v1/x HTTP/1.1", "example.test:8000"),
    ],
)
async def test_the_request_head_names_the_origin_and_its_path_prefix(
    connect: Connect, base_url: str, request_line: str, host: str
) -> None:
    upstream = await connect(base_url)

    head = upstream.request_head("GET", "/v1/x", {"X-One": "1"}).decode()

    assert head == f"{request_line}\r\nHost: {host}\r\nX-One: 1\r\n\r\n"


async def test_a_request_without_headers_has_a_head_that_ends_once(connect: Connect) -> None:
    upstream = await connect("http://example.test:80")

    head = upstream.request_head("GET", "/v1/x", {}).decode()

    assert head == "GET /v1/x HTTP/1.1\r\nHost: example.test\r\n\r\n"


@pytest.mark.parametrize(
    "target",
    ["/v1/x y", "/v1/x\r\nHost: evil", "/v1/x\t", "/v1/\x00", "/v1/\x7f", "/v1/\u2028", "v1/x"],
)
async def test_a_target_that_could_end_or_split_the_request_line_is_refused(
    connect: Connect, target: str
) -> None:
    upstream = await connect("http://example.test:80")

    with pytest.raises(UpstreamUnavailable, match="does not belong to the upstream"):
        upstream.request_head("GET", target, {})


async def test_an_ipv6_upstream_gets_a_bracketed_host(serve: Serve, connect: Connect) -> None:
    server, url = await serve(_echo_target, host="::1")
    upstream = await connect(url + "/prefix")

    answer = await upstream.send(_request(path="/v1/x"))

    assert answer.body == b"/prefix/v1/x"
    assert server.exchanges[0].headers["Host"] == f"[::1]:{URL(url).port}"


async def test_a_base_url_path_prefixes_what_the_proxy_passes_through(
    serve: Serve, start_proxy: ProxyFactory
) -> None:
    server, url = await serve(_echo_target)
    proxy = await start_proxy(url + "/moda/api")

    answer = await proxy.get("/v1/files/file_1?size=large&x=%20y", headers=LEGACY)

    assert await answer.read() == b"/moda/api/v1/files/file_1?size=large&x=%20y"
    assert server.exchanges[0].headers["Host"] == URL(url).raw_authority


async def test_query_values_reach_the_upstream_as_they_were(serve: Serve, connect: Connect) -> None:
    query = (
        ("q", "a b"),
        ("q", "x&y=z"),
        ("plus", "1+1"),
        ("percent", "100%"),
        ("hash", "#frag"),
        ("é", "ü/?"),
        ("empty", ""),
    )
    server, url = await serve(_echo_target)
    upstream = await connect(url)

    await upstream.send(_request(query=query))

    path, _, raw_query = server.exchanges[0].target.partition("?")
    assert path == "/v1/things"
    assert tuple(parse_qsl(raw_query, keep_blank_values=True)) == query


@pytest.mark.parametrize(
    "target",
    [
        "/v1/x y",
        "/v1/x\r\nX-Injected: 1",
        "/v1/x\n",
        "/v1/x\t",
        "/v1/x\x00",
        "v1/x",
        "*",
        "http://evil.example/v1/x",
    ],
)
async def test_a_target_that_could_leave_the_request_line_is_refused_before_sending(
    serve: Serve, connect: Connect, target: str
) -> None:
    server, url = await serve(_echo_target)
    upstream = await connect(url)

    with pytest.raises(UpstreamUnavailable):
        await upstream.send(_request(path=target))
    assert server.accepted == 0
