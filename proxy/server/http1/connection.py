"""One keep-alive HTTP/1.1 connection to the upstream, its answers parsed by httptools (llhttp, C).

A connection carries one exchange at a time. The answer's head arrives as an `UpstreamAnswer`;
its body is buffered as it comes, and reading pauses the socket while more than `_HIGH_WATER`
bytes wait for a slow consumer, so a streamed answer never piles up in memory.
"""

import asyncio
import collections
from collections.abc import AsyncIterator
from typing import Final, cast

import httptools
from multidict import CIMultiDict

from proxy.errors import UpstreamError, UpstreamTimeout, UpstreamUnavailable

_HIGH_WATER: Final = 256 * 1024
_LOW_WATER: Final = 64 * 1024


class UpstreamCut(UpstreamUnavailable):
    """The connection ended before the answer did."""


class StaleConnection(UpstreamCut):
    """A reused connection closed before a single byte of the answer: the upstream had let it go
    idle. An idempotent request may be sent again on a fresh connection."""


def _cut() -> UpstreamCut:
    return UpstreamCut("The upstream cut its response short.")


class UpstreamAnswer:
    """The head of an answer, and its body as it arrives."""

    def __init__(self, connection: "UpstreamConnection", status: int, reason: str) -> None:
        self._connection = connection
        self.status, self.reason = status, reason
        self.headers: CIMultiDict[str] = CIMultiDict()
        self._chunks: collections.deque[bytes] = collections.deque()
        self._buffered = 0
        self._complete = False
        self._failure: UpstreamError | None = None
        self._arrived: asyncio.Future[None] | None = None

    @property
    def content_length(self) -> int | None:
        declared = self.headers.get("Content-Length")
        return int(declared) if declared is not None and declared.isdigit() else None

    @property
    def complete(self) -> bool:
        return self._complete

    def _wake(self) -> None:
        if self._arrived is not None and not self._arrived.done():
            self._arrived.set_result(None)

    def feed(self, chunk: bytes) -> None:
        self._chunks.append(chunk)
        self._buffered += len(chunk)
        if self._buffered > _HIGH_WATER:
            self._connection.pause_reading()
        self._wake()

    def finish(self) -> None:
        self._complete = True
        self._wake()

    def fail(self, failure: UpstreamError) -> None:
        if not self._complete:
            self._failure = failure
            self._wake()

    async def _arrival(self, idle_seconds: float | None) -> None:
        self._arrived = arrived = self._connection.loop.create_future()
        try:
            if idle_seconds is None:
                await arrived
            else:
                async with asyncio.timeout(idle_seconds):
                    await arrived
        finally:
            self._arrived = None

    async def next_chunk(self, idle_seconds: float | None = None) -> bytes:
        """The next bytes of the body, b"" at its end; waits at most `idle_seconds` for them."""
        while not self._chunks:
            if self._failure is not None:
                raise self._failure
            if self._complete:
                return b""
            await self._arrival(idle_seconds)
        chunk = self._chunks.popleft()
        self._buffered -= len(chunk)
        if self._buffered < _LOW_WATER:
            self._connection.resume_reading()
        return chunk

    def _take_all(self) -> bytes:
        body = self._chunks.popleft() if self._chunks else b""
        self._buffered = 0
        self._connection.resume_reading()
        return body

    async def chunks(self, idle_seconds: float | None = None) -> AsyncIterator[bytes]:
        while chunk := await self.next_chunk(idle_seconds):
            yield chunk

    async def read(self, limit: int, idle_seconds: float | None = None) -> bytes | None:
        """The whole body, or None as soon as it passes `limit` bytes; each wait for more lasts
        at most `idle_seconds`."""
        if self._complete and self._buffered <= limit and len(self._chunks) <= 1:
            # Most answers arrive whole with their head: no need to wait for anything.
            return self._take_all()
        parts: list[bytes] = []
        size = 0
        while chunk := await self.next_chunk(idle_seconds):
            size += len(chunk)
            if size > limit:
                return None
            parts.append(chunk)
        return parts[0] if len(parts) == 1 else b"".join(parts)


class UpstreamConnection(asyncio.Protocol):
    def __init__(self) -> None:
        # Made by the loop's create_connection: its loop, read once rather than per exchange
        # (asking the running loop costs a getpid system call on Python 3.11).
        self.loop = asyncio.get_running_loop()
        self._parser = httptools.HttpResponseParser(self)
        self._transport: asyncio.Transport | None = None
        self._head: asyncio.Future[UpstreamAnswer] | None = None
        self._answer: UpstreamAnswer | None = None
        self._reason = ""
        self._header_pairs: list[tuple[str, str]] = []
        self._received = False
        self._head_only = False
        self._keep_alive = False
        self._reading_paused = False
        self._writable: asyncio.Future[None] | None = None
        self.closed = False
        self.reused = False
        self.idle_since = 0.0

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream socket's transport (uvloop's does not subclass asyncio.Transport).
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self._received = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError:
            self._fail(
                UpstreamUnavailable("The upstream answered with something that is not HTTP.")
            )
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        answer = self._answer
        if answer is not None and not answer.complete:
            # A body without a declared length ends when the connection does.
            if (
                answer.content_length is None
                and "chunked" not in answer.headers.get("Transfer-Encoding", "").lower()
            ):
                answer.finish()
            else:
                answer.fail(_cut())
        if self._head is not None and not self._head.done():
            stale = self.reused and not self._received
            closed = StaleConnection("The upstream closed the connection.")
            self._head.set_exception(closed if stale else _cut())
        if self._writable is not None and not self._writable.done():
            self._writable.set_exception(_cut())

    def pause_writing(self) -> None:
        self._writable = self.loop.create_future()

    def resume_writing(self) -> None:
        if self._writable is not None and not self._writable.done():
            self._writable.set_result(None)
        self._writable = None

    # httptools callbacks

    def on_message_begin(self) -> None:
        if self._answer is not None and self._answer.complete:
            # An answer nobody asked for: what follows could pass for the next request's answer.
            self.close()
        self._header_pairs = []

    def on_status(self, status: bytes) -> None:
        self._reason = status.decode("latin-1")

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_pairs.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        status = self._parser.get_status_code()
        if 100 <= status < 200:
            return  # an interim answer (100 Continue): the real one follows
        answer = UpstreamAnswer(self, status, self._reason)
        answer.headers.extend(self._header_pairs)
        self._answer = answer
        if self._head_only:
            # llhttp cannot be told the request was HEAD: the answer ends with its head, and the
            # connection is not reused (see `reusable`).
            answer.finish()
        if self._head is not None and not self._head.done():
            self._head.set_result(answer)

    def on_body(self, body: bytes) -> None:
        if self._answer is not None:
            self._answer.feed(body)

    def on_message_complete(self) -> None:
        if self._answer is not None and self._parser.get_status_code() >= 200:
            # Asked now: llhttp forgets the message's version and headers once it is over.
            self._keep_alive = self._parser.should_keep_alive()
            self._answer.finish()

    # used by the pool and the upstream

    def _fail(self, failure: UpstreamError) -> None:
        if self._head is not None and not self._head.done():
            self._head.set_exception(failure)
        if self._answer is not None:
            self._answer.fail(failure)

    def begin(self, *, head_only: bool = False) -> asyncio.Future[UpstreamAnswer]:
        """Readies the connection for one more exchange; the future resolves with its head."""
        self._head = self.loop.create_future()
        self._answer = None
        self._received = False
        self._keep_alive = False
        self._head_only = head_only
        return self._head

    def write(self, data: bytes) -> None:
        if self._transport is None or self.closed:
            raise StaleConnection("The upstream closed the connection.")
        self._transport.write(data)

    async def drain(self) -> None:
        if self._writable is not None:
            await self._writable

    @property
    def reusable(self) -> bool:
        """True when the last exchange ended cleanly and the upstream keeps the connection."""
        answer = self._answer
        return (
            not self.closed
            and not self._head_only
            and answer is not None
            and answer.complete
            and self._keep_alive
        )

    def pause_reading(self) -> None:
        if not self._reading_paused and self._transport is not None:
            self._reading_paused = True
            self._transport.pause_reading()

    def resume_reading(self) -> None:
        if self._reading_paused and self._transport is not None and not self.closed:
            self._reading_paused = False
            self._transport.resume_reading()

    def expire(self) -> None:
        """The exchange ran out of time: its waiting reader learns so, and the connection goes."""
        self._fail(UpstreamTimeout("The upstream did not answer in time."))
        self.abandon()

    def abandon(self) -> None:
        """Gives up the exchange under way; the connection is not reused."""
        if self._head is not None and not self._head.done():
            self._head.cancel()
        self.close()

    def close(self) -> None:
        self.closed = True
        if self._transport is not None:
            self._transport.close()
