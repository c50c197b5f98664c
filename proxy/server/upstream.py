"""The one door to the upstream: owns its connections and maps their failures to ProxyErrors."""

import asyncio
import ssl
import zlib
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Final

from aiohttp import hdrs
from multidict import CIMultiDict
from yarl import URL

from proxy.core.messages import ApiRequest, ApiResponse, Query
from proxy.errors import (
    UpstreamContractError,
    UpstreamError,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from proxy.server.http1 import ConnectionPool, UpstreamAnswer
from proxy.server.upload import StreamedBody

_DECODERS: Final = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
_BODY_METHODS: Final = frozenset({"POST", "PUT", "PATCH"})


class Upstream:
    """Opened once the base URL is known (the embedded sandbox picks its port at start-up).

    Every exchange goes through one pool of keep-alive HTTP/1.1 connections (proxy.server.http1):
    buffered exchanges for translated routes, waits and page walks, streamed ones for
    pass-through. Requests are written as bytes to the configured origin only, so no target can
    reach another host.

    An https origin is verified against the system's trust store, unless `tls_context` is given
    (tests pass one that trusts a certificate of their own)."""

    def __init__(
        self,
        *,
        timeout_seconds: float,
        connect_timeout_seconds: float,
        max_connections: int,
        max_buffered_bytes: int,
        on_answer: Callable[[], None] = lambda: None,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self._on_answer = on_answer
        self._tls_context = tls_context
        self._timeout = timeout_seconds
        self._connect_timeout = connect_timeout_seconds
        self._max_connections = max_connections
        self._max_buffered = max_buffered_bytes
        self._pool: ConnectionPool | None = None
        self._prefix = b""
        self._host_line = b""

    async def open(self, base_url: str) -> None:
        base = URL(base_url)
        if base.scheme not in ("http", "https") or not base.raw_host or base.port is None:
            raise ValueError(f"the upstream URL {base_url!r} is not an http(s) origin")
        tls = None
        if base.scheme == "https":
            tls = self._tls_context or ssl.create_default_context()
        self._pool = ConnectionPool(
            host=base.raw_host,
            port=base.port,
            tls=tls,
            limit=self._max_connections,
            connect_timeout_seconds=self._connect_timeout,
        )
        self._prefix = base.raw_path.rstrip("/").encode()
        self._host_line = f"Host: {base.host_port_subcomponent}\r\n".encode()

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()

    @property
    def pool(self) -> ConnectionPool:
        if self._pool is None:
            raise RuntimeError("the upstream is used before the app started")
        return self._pool

    def request_head(
        self,
        method: str,
        target: str,
        headers: Mapping[str, str],
        *,
        query: Query = (),
        length: int | None = None,
        chunked: bool = False,
    ) -> bytes:
        """The request line and headers, as bytes, for `target` on the upstream's origin."""
        # The target goes into the request line as it is: nothing may end or split that line.
        # Whitespace and control characters are all unprintable, but for the space.
        if not target.startswith("/") or not target.isprintable() or " " in target:
            raise UpstreamUnavailable("The request target does not belong to the upstream.")
        if query:
            target = f"{target}?{URL.build(query=query).raw_query_string}"
        fields = "\r\n".join(map(": ".join, headers.items()))
        if fields:
            fields += "\r\n"
        if length is not None:
            fields += f"Content-Length: {length}\r\n"
        elif chunked:
            fields += "Transfer-Encoding: chunked\r\n"
        return b"".join(
            (
                f"{method} ".encode(),
                self._prefix,
                target.encode(),
                b" HTTP/1.1\r\n",
                self._host_line,
                fields.encode(errors="surrogateescape"),
                b"\r\n",
            )
        )

    async def send(self, request: ApiRequest) -> ApiResponse:
        """A buffered exchange; the caller asks for `Accept-Encoding: identity` (see convert)."""
        body = request.body
        head = self.request_head(
            request.method,
            request.path,
            request.headers,
            query=request.query,
            length=len(body) if body or request.method in _BODY_METHODS else None,
        )
        answer, content = await self.pool.fetch(
            request.method, head, body, timeout_seconds=self._timeout, limit=self._max_buffered
        )
        self._on_answer()
        if content is None:
            raise _too_large(answer.status)
        answered: Mapping[str, str] = answer.headers
        encoding = answer.headers.get(hdrs.CONTENT_ENCODING)
        if encoding is not None:  # decoded here: the client gets the body as it is sent
            content = _decoded(content, encoding, self._max_buffered, answer.status)
            answered = answer.headers.copy()
            answered.popall(hdrs.CONTENT_ENCODING, None)
        return ApiResponse(answer.status, answered, content)

    async def probe(self, target: str, timeout_seconds: float) -> int:
        """The status the upstream answers a bare GET of `target` with (no credential sent)."""
        head = self.request_head("GET", target, {})
        answer, _ = await self.pool.fetch(
            "GET", head, b"", timeout_seconds=timeout_seconds, limit=self._max_buffered
        )
        return answer.status

    @asynccontextmanager
    async def stream(
        self, method: str, target: str, headers: CIMultiDict[str], body: StreamedBody | None
    ) -> AsyncIterator[UpstreamAnswer]:
        """Opens a streamed exchange. The upstream has `timeout_seconds` for its headers, counted
        from the end of the request body (see proxy.server.upload); the body after them is
        bounded by the same time between reads (`read_timeout`)."""
        declared = hdrs.CONTENT_LENGTH in headers
        try:
            async with AsyncExitStack() as exits:
                try:
                    async with asyncio.timeout(None) as deadline:
                        turns = _Turns(deadline, self._timeout)
                        if body is None:
                            turns.upstream()
                            chunks: AsyncIterator[bytes] = _no_chunks()
                        else:
                            chunks = body.chunks(
                                upstream_turn=turns.upstream, client_turn=turns.client
                            )
                        chunked = body is not None and not declared
                        # A bodiless POST says Content-Length: 0, once: the client's if it sent it.
                        empty = body is None and not declared and method in _BODY_METHODS
                        head = self.request_head(
                            method,
                            target,
                            headers,
                            chunked=chunked,
                            length=0 if empty else None,
                        )
                        try:
                            answer = await exits.enter_async_context(
                                self.pool.stream(method, head, chunks, chunked=chunked)
                            )
                        finally:
                            turns.over = True
                except TimeoutError as exc:
                    raise UpstreamTimeout("The upstream did not answer in time.") from exc
                self._on_answer()
                yield answer
        except UpstreamError:
            # A body the client failed to send shows upstream as a cut request: name the cause.
            if body is not None and body.failure is not None:
                raise body.failure from None
            raise

    @property
    def read_timeout(self) -> float:
        """The longest a streamed answer may stall between two reads."""
        return self._timeout


async def _no_chunks() -> AsyncIterator[bytes]:
    return
    yield  # an empty async generator


class _Turns:
    """Moves a deadline so that only the upstream's turns are timed, never the client's."""

    def __init__(self, deadline: asyncio.Timeout, seconds: float) -> None:
        self._deadline, self._seconds = deadline, seconds
        self._loop = asyncio.get_running_loop()
        # Set once the upstream answered: a body still flowing then no longer moves the deadline.
        self.over = False

    def upstream(self) -> None:
        if not (self.over or self._deadline.expired()):
            self._deadline.reschedule(self._loop.time() + self._seconds)

    def client(self) -> None:
        if not (self.over or self._deadline.expired()):
            self._deadline.reschedule(None)


def _decoded(body: bytes, encoding: str, limit: int, upstream_status: int) -> bytes:
    """The body uncompressed, never inflated past `limit` bytes: a small gzip bomb stays small."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding not in _DECODERS:
        raise UpstreamContractError(f"The upstream sent an unsupported encoding {encoding!r}.")
    decoder = zlib.decompressobj(_DECODERS[encoding])
    try:
        # One byte past the limit is enough to know the body is too large.
        decoded = decoder.decompress(body, limit + 1)
    except zlib.error as exc:
        raise UpstreamContractError("The upstream sent a corrupt compressed body.") from exc
    if len(decoded) > limit:
        raise _too_large(upstream_status)
    if not decoder.eof:  # all input was used up before the stream's end: it was cut short
        raise UpstreamContractError("The upstream sent a corrupt compressed body.")
    return decoded


def _too_large(upstream_status: int) -> UpstreamContractError:
    return UpstreamContractError(
        "The upstream's response is larger than this proxy translates.",
        details={"upstream_status": upstream_status},
    )
