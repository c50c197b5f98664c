"""The public listener's HTTP/1.1 server: requests parsed by httptools, answered by the app.

aiohttp's own server made the proxy cost as much per request as a bare aiohttp proxy: its request
handler, router and `prepare` cost about 58 k instructions a request more than this server does
(docs/scaling.md). Here the connection is the proxy's own; the handlers, the middleware,
`web.Request` and `web.Response` stay aiohttp's, so every route behaves as it does on aiohttp.

What aiohttp's server did and this one does too:
- keep-alive over HTTP/1.0 and 1.1; pipelined requests are answered in order;
- request bodies, sized or chunked, stream into the handler with flow control: the socket stops
  being read while more than twice `_BODY_BUFFER` bytes wait; `Expect: 100-continue` is answered
  when the request's turn comes;
- the handler of a client that went away is cancelled, so a wait or a stream it held is released;
- an idle keep-alive connection closes after `server.keepalive_timeout_seconds` (the first head's
  deadline stays with proxy.server.listener);
- on shutdown idle connections close at once; busy ones finish within the grace, then are cut.

What differs: a request body is handed on as sent (a `Content-Encoding` is not decoded), and a
request that is not valid HTTP/1.1, or whose head exceeds `_HEAD_LIMIT`, gets Moda's envelope
(400, 431) before the connection closes, where aiohttp answered in plain text.
"""

import asyncio
import collections
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final, NamedTuple, cast

import httptools
from aiohttp import EMPTY_PAYLOAD, StreamReader, hdrs, web
from aiohttp.base_protocol import BaseProtocol
from aiohttp.http import HttpVersion10, HttpVersion11, StreamWriter
from aiohttp.http_parser import RawRequestMessage
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from proxy.errors import ClientRequestError
from proxy.server.http1.answers import interim_continue, refusal, written_whole

_log = logging.getLogger(__name__)

Dispatch = Callable[[web.Request], Awaitable[web.StreamResponse]]
RequestFactory = Callable[..., web.Request]

# The request line and headers together; above it the head is refused with 431.
_HEAD_LIMIT: Final = 64 * 1024
_BODY_BUFFER: Final = 256 * 1024
# Pipelined requests waiting for their turn before the socket stops being read.
_QUEUED_LIMIT: Final = 32


class _Refused(Exception):
    """Raised in a parser callback once a refusal is queued: llhttp stops parsing."""


class _Pending(NamedTuple):
    """A request waiting for its turn, or the refusal that ends the connection."""

    message: RawRequestMessage | None
    payload: StreamReader
    expects_continue: bool
    refusal: bytes = b""


class ClientConnection(BaseProtocol):
    """One client's connection to the public listener."""

    def __init__(self, server: "PublicServer") -> None:
        super().__init__(server.loop)
        self._server = server
        self._llhttp = httptools.HttpRequestParser(self)
        self._queue: collections.deque[_Pending] = collections.deque()
        self._arrived: asyncio.Future[None] | None = None
        self._serving: asyncio.Task[None] | None = None
        self._idle_timer: asyncio.TimerHandle | None = None
        self._busy = False
        self._closing = False
        self._broken = False  # nothing more is parsed: a refusal or an upgrade ends the queue
        self._target = bytearray()
        self._headers: list[tuple[bytes, bytes]] = []
        self._head_bytes = 0
        self._body: StreamReader | None = None
        self._idle_from = 0.0
        self._writer: StreamWriter | None = None
        # Read by web.Request.
        self.ssl_context: Any = None
        self.peername: Any = None
        self.sockname: Any = None

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.peername = transport.get_extra_info("peername")
        self.sockname = transport.get_extra_info("sockname")
        self.ssl_context = transport.get_extra_info("sslcontext")
        self._server.opened(self)
        self._serving = self._loop.create_task(self._serve())

    def connection_lost(self, exc: BaseException | None) -> None:
        super().connection_lost(exc)
        self.transport = None
        self._server.closed(self)
        if self._idle_timer is not None:
            self._idle_timer.cancel()
        if self._body is not None:
            self._body.set_exception(ConnectionResetError("The client closed the connection."))
        if self._serving is not None:
            self._serving.cancel()

    def data_received(self, data: bytes) -> None:
        if self._broken:
            return
        try:
            self._llhttp.feed_data(data)
        except httptools.HttpParserUpgrade:
            # CONNECT, or an Upgrade: the request is answered, and nothing after it is HTTP/1.1.
            self._broken = True
        except httptools.HttpParserError as exc:
            if self._broken:  # a callback refused the request already
                return
            if self._body is not None:
                self._body.set_exception(
                    ClientRequestError(f"The request body is not valid HTTP/1.1: {exc}.")
                )
                self._body = None
            self._refuse(400, "Bad Request", "invalid_request", f"The request is not valid: {exc}.")

    def pause_reading(self) -> None:
        self._reading_paused = True
        self._pause_transport_reading()

    def resume_reading(self, resume_parser: bool = True) -> None:
        self._reading_paused = False
        if not self._buffer_paused:
            self._resume_transport_reading()

    # httptools callbacks

    def on_message_begin(self) -> None:
        self._target.clear()
        self._headers = []
        self._head_bytes = 0

    def on_url(self, url: bytes) -> None:
        self._head_bytes += len(url)
        if self._head_bytes > _HEAD_LIMIT:
            self._head_too_large()
        self._target += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head_bytes += len(name) + len(value) + 4  # ": " and CRLF
        if self._head_bytes > _HEAD_LIMIT:
            self._head_too_large()
        self._headers.append((name, value))

    def _head_too_large(self) -> None:
        self._refuse(
            431,
            "Request Header Fields Too Large",
            "request_header_fields_too_large",
            f"The request head is larger than {_HEAD_LIMIT} bytes.",
        )
        raise _Refused

    def on_headers_complete(self) -> None:
        message = self._message()
        if message is None:
            raise _Refused
        headers = message.headers
        has_body = hdrs.TRANSFER_ENCODING in headers or headers.get(hdrs.CONTENT_LENGTH, "0") != "0"
        payload = EMPTY_PAYLOAD
        if has_body:
            payload = self._body = StreamReader(self, _BODY_BUFFER, loop=self._loop)
        expects = has_body and headers.get(hdrs.EXPECT, "").lower() == "100-continue"
        self._enqueue(_Pending(message, payload, expects and message.version == HttpVersion11))

    def on_body(self, body: bytes) -> None:
        if self._body is not None:
            self._body.feed_data(body)

    def on_message_complete(self) -> None:
        if self._body is not None:
            self._body.feed_eof()
            self._body = None

    # Requests

    def _message(self) -> RawRequestMessage | None:
        parser = self._llhttp
        target = self._target.decode("latin-1")
        method = parser.get_method().decode("ascii")
        try:
            url = _request_url(method, target)
        except ValueError:
            self._refuse(400, "Bad Request", "invalid_request", "The request target is not valid.")
            return None
        raw = tuple(self._headers)
        headers = CIMultiDictProxy(
            CIMultiDict([(name.decode("latin-1"), value.decode("latin-1")) for name, value in raw])
        )
        version = HttpVersion11 if parser.get_http_version() == "1.1" else HttpVersion10
        should_close = not parser.should_keep_alive()
        return RawRequestMessage(
            method, target, version, headers, raw, should_close, None, False, False, url
        )

    def _refuse(self, status: int, reason: str, code: str, message: str) -> None:
        answer = refusal(status, reason, code, message, self._server.refusal_headers)
        self._enqueue(_Pending(None, EMPTY_PAYLOAD, False, answer))
        self._broken = True

    def _enqueue(self, pending: _Pending) -> None:
        self._queue.append(pending)
        if len(self._queue) >= _QUEUED_LIMIT:
            self._pause_reading_for_buffer()
        arrived = self._arrived
        if arrived is not None and not arrived.done():
            arrived.set_result(None)

    async def _serve(self) -> None:
        try:
            while not self._closing:
                pending = await self._next()
                if pending is None or not await self._answer(pending):
                    break
        finally:
            if self.transport is not None:
                self.transport.close()

    async def _next(self) -> _Pending | None:
        queue = self._queue
        if not queue:
            if self._broken:
                return None
            self._arrived = self._loop.create_future()
            self._idle_since()
            await self._arrived
            self._arrived = None
        pending = queue.popleft()
        if self._buffer_paused and len(queue) < _QUEUED_LIMIT // 2:
            self._resume_reading_for_buffer()
        return pending

    async def _answer(self, pending: _Pending) -> bool:
        """Answers one request; False when the connection must close after it."""
        message, transport = pending.message, self.transport
        if message is None or transport is None:
            if transport is not None:
                transport.write(pending.refusal)
            return False
        if pending.expects_continue:
            transport.write(interim_continue())
        self._busy = True
        writer = self._writer or StreamWriter(self, self._loop)
        request = self._server.make_request(message, pending.payload, self, writer, self._serving)
        try:
            response = await self._server.dispatch(request)
            whole = written_whole(message, response)
            if whole is None:
                self._writer = None  # spent: the next answer needs a fresh one
                await response.prepare(request)
                await response.write_eof()
            else:
                self._writer = writer  # never written to: the next request may have it
                if self.transport is not None:
                    self.transport.write(whole)
        except Exception:
            # The middleware answers every failure of a handler: this one is the answer's own
            # (a header no HTTP/1.1 head can carry), and the connection cannot go on.
            _log.exception("could not send the answer to %s %s", message.method, message.path)
            return False
        finally:
            self._busy = False
        if not pending.payload.is_eof():
            # Answered before its body arrived (a refusal): what is left of it is not a request.
            return False
        return not message.should_close and response.keep_alive is not False

    # Idle connections

    def _idle_since(self) -> None:
        """One timer a connection, moved on lazily: re-arming it on every answer costs more."""
        self._idle_from = self._loop.time()
        if self._idle_timer is None:
            timeout = self._server.keepalive_timeout
            self._idle_timer = self._loop.call_later(timeout, self._close_if_idle)

    def _close_if_idle(self) -> None:
        self._idle_timer = None
        if self.transport is None or self._busy or self._queue:
            return
        left = self._idle_from + self._server.keepalive_timeout - self._loop.time()
        if left > 0:
            self._idle_timer = self._loop.call_later(left, self._close_if_idle)
        else:
            self.transport.close()

    @property
    def idle(self) -> bool:
        return not self._busy and not self._queue

    def close_when_done(self) -> None:
        """Shutting down: an idle connection closes now, a busy one after its answer."""
        self._closing = True
        if self.idle and self.transport is not None:
            self.transport.close()

    def cut(self) -> None:
        if self.transport is not None:
            self.transport.close()


def _request_url(method: str, target: str) -> URL:
    """The request target as aiohttp's own parser reads it (RFC 9112 §3.2)."""
    if target.startswith("/"):
        path, _, query = target.partition("?")
        query, _, fragment = query.partition("#")
        if "#" in path:
            path, _, fragment = path.partition("#")
        return URL.build(path=path, query_string=query, fragment=fragment, encoded=True)
    if method == hdrs.METH_CONNECT:
        return URL.build(authority=target, encoded=True)
    return URL(target, encoded=True)


class PublicServer:
    """Makes a `ClientConnection` for each accepted socket and tracks them for shutdown."""

    def __init__(
        self,
        *,
        make_request: RequestFactory,
        dispatch: Dispatch,
        refusal_headers: Mapping[str, str],
        keepalive_timeout: float,
        shutdown_grace: float,
    ) -> None:
        self.make_request, self.dispatch = make_request, dispatch
        # A refusal's Moda-Version (the default) and, for an older one, its sunset headers.
        self.refusal_headers = refusal_headers
        self.keepalive_timeout = keepalive_timeout
        self._shutdown_grace = shutdown_grace
        self._connections: set[ClientConnection] = set()
        self._all_closed: asyncio.Event | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return asyncio.get_running_loop()

    def __call__(self) -> ClientConnection:
        return ClientConnection(self)

    def opened(self, connection: ClientConnection) -> None:
        self._connections.add(connection)

    def closed(self, connection: ClientConnection) -> None:
        self._connections.discard(connection)
        if not self._connections and self._all_closed is not None:
            self._all_closed.set()

    async def shut_down(self) -> None:
        """Idle connections close now; busy ones within the grace, then they are cut."""
        if not self._connections:
            return
        self._all_closed = asyncio.Event()
        for connection in list(self._connections):
            connection.close_when_done()
        try:
            async with asyncio.timeout(self._shutdown_grace):
                await self._all_closed.wait()
        except TimeoutError:
            for connection in list(self._connections):
                connection.cut()
