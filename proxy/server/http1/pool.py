"""A bounded pool of keep-alive HTTP/1.1 connections to the one upstream origin.

Connections are reused last-in first-out (the warmest first) and dropped after `idle_seconds`
unused, before the upstream's own keep-alive timeout would close them under a request. Should it
close one anyway, an idempotent request that met only the closed socket is sent once more on a
fresh connection, as browsers and aiohttp do (a streamed one only if it had no body, which could
not be read from the client twice).
"""

import asyncio
import collections
import contextlib
import socket
import ssl
from collections.abc import AsyncIterator
from typing import Final

from proxy.errors import UpstreamTimeout, UpstreamUnavailable
from proxy.server.http1.connection import StaleConnection, UpstreamAnswer, UpstreamConnection


class _Body:
    """A request body on its way out, read from the client as it is sent."""

    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        self._chunks = chunks
        self._started = self._ended = False

    @property
    def replayable(self) -> bool:
        """True once it went out whole and was empty: sending the request again sends the same."""
        return self._ended and not self._started

    async def send(self, connection: UpstreamConnection, head: bytes, *, chunked: bool) -> None:
        connection.write(head)
        async for chunk in self._chunks:
            if not chunk:
                continue
            self._started = True
            if chunked:
                connection.write(b"%x\r\n%b\r\n" % (len(chunk), chunk))
            else:
                connection.write(chunk)
            await connection.drain()
        if chunked:
            connection.write(b"0\r\n\r\n")
        self._ended = True


# A body below this size goes out in the same write as the head.
_ONE_WRITE: Final = 64 * 1024
_IDEMPOTENT: Final = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})


class ConnectionPool:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        tls: ssl.SSLContext | None,
        limit: int,
        connect_timeout_seconds: float,
        idle_seconds: float = 10.0,
    ) -> None:
        self._host, self._port, self._tls = host, port, tls
        self._limit = limit
        self._connect_timeout = connect_timeout_seconds
        self._idle_seconds = idle_seconds
        self._idle: list[UpstreamConnection] = []
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._open = 0
        self._closed = False

    @property
    def open_connections(self) -> int:
        return self._open

    @property
    def idle_connections(self) -> int:
        return len(self._idle)

    def _take_idle(self) -> UpstreamConnection | None:
        while self._idle:
            connection = self._idle.pop()
            idle = connection.loop.time() - connection.idle_since
            if not connection.closed and idle < self._idle_seconds:
                return connection
            self._discard(connection)
        return None

    async def _turn(self) -> None:
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._wake_one()  # woken, then cancelled before taking its turn: pass it on
            raise
        finally:
            with contextlib.suppress(ValueError):
                self._waiters.remove(waiter)

    def _wake_one(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def acquire(self) -> UpstreamConnection:
        while True:
            if self._closed:
                raise UpstreamUnavailable("The proxy is shutting down.")
            connection = self._take_idle()
            if connection is not None:
                return connection
            if self._open < self._limit:
                break
            await self._turn()
        self._open += 1
        try:
            return await self._connect()
        except BaseException:
            self._open -= 1
            self._wake_one()
            raise

    async def _connect(self) -> UpstreamConnection:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self._connect_timeout):
                transport, connection = await loop.create_connection(
                    UpstreamConnection,
                    self._host,
                    self._port,
                    ssl=self._tls,
                    server_hostname=self._host if self._tls is not None else None,
                )
        except TimeoutError as exc:
            raise UpstreamTimeout("The upstream did not accept a connection in time.") from exc
        except (OSError, ssl.SSLError) as exc:
            raise UpstreamUnavailable("The upstream could not be reached.") from exc
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection

    def _discard(self, connection: UpstreamConnection) -> None:
        connection.close()
        self._open -= 1

    def _discard_idle(self) -> None:
        """After a connection was found dropped: the others have idled longer (the pool is LIFO),
        so the request goes again on a fresh connection rather than on one of them."""
        while self._idle:
            self._discard(self._idle.pop())

    def release(self, connection: UpstreamConnection) -> None:
        if connection.reusable and not self._closed:
            # An answer left unread may have paused reading: idle, it must notice a close.
            connection.resume_reading()
            connection.idle_since = connection.loop.time()
            connection.reused = True
            self._idle.append(connection)
        else:
            self._discard(connection)
        self._wake_one()

    async def fetch(
        self, method: str, head: bytes, body: bytes, *, timeout_seconds: float, limit: int
    ) -> tuple[UpstreamAnswer, bytes | None]:
        """A whole exchange, within `timeout_seconds` from when a connection was at hand: the
        answer and its body, or None for a body longer than `limit` (left unread)."""
        retry = method in _IDEMPOTENT
        while True:
            connection = await self.acquire()
            # One timer on the connection rather than a timeout scope around the await: the
            # same bound, at a fraction of the cost on every request.
            timer = connection.loop.call_later(timeout_seconds, connection.expire)
            try:
                arrived = connection.begin(head_only=method == "HEAD")
                connection.write(head + body if len(body) < _ONE_WRITE else head)
                if len(body) >= _ONE_WRITE:
                    connection.write(body)
                answer = await arrived
                declared = answer.content_length
                content = (
                    None if declared is not None and declared > limit else await answer.read(limit)
                )
            except StaleConnection:
                if not retry:
                    raise
                retry = False
                self._discard_idle()
                continue
            except BaseException:
                connection.abandon()
                raise
            finally:
                timer.cancel()
                self.release(connection)
            return answer, content

    @contextlib.asynccontextmanager
    async def stream(
        self, method: str, head: bytes, chunks: AsyncIterator[bytes], *, chunked: bool
    ) -> AsyncIterator[UpstreamAnswer]:
        """Sends a request whose body is streamed while the answer is awaited, so an upstream
        that answers early (a 413 before the body ends) is heard at once."""
        connection, sending, answer = await self._start(method, head, _Body(chunks), chunked)
        try:
            yield answer
        finally:
            if sending.done() and not sending.cancelled():
                sending.exception()  # a failure after the answer changes nothing: it is over
            if not sending.done():
                # The body is still flowing though the answer is over: the connection cannot
                # carry another request.
                sending.cancel()
                connection.abandon()
            self.release(connection)

    async def _start(
        self, method: str, head: bytes, body: _Body, chunked: bool
    ) -> tuple[UpstreamConnection, asyncio.Future[None], UpstreamAnswer]:
        retry = method in _IDEMPOTENT
        while True:
            connection = await self.acquire()
            arrived = connection.begin(head_only=method == "HEAD")
            sending = asyncio.ensure_future(body.send(connection, head, chunked=chunked))
            try:
                await asyncio.wait((sending, arrived), return_when=asyncio.FIRST_COMPLETED)
                if sending.done() and sending.exception() is not None:
                    raise sending.exception()  # type: ignore[misc]
                return connection, sending, await arrived
            except BaseException as exc:
                sending.cancel()
                connection.abandon()
                self.release(connection)
                # As in `fetch`, for a request without a body: one cannot be read twice.
                if isinstance(exc, StaleConnection) and retry and body.replayable:
                    retry = False
                    self._discard_idle()
                    continue
                raise

    async def close(self) -> None:
        self._closed = True
        self._discard_idle()
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
