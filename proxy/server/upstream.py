"""The one door to the upstream: owns the client session and maps its failures to ProxyErrors."""

import asyncio
import zlib
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from typing import Final

import aiohttp
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
from proxy.server.upload import StreamedBody

_DECODERS: Final = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


@contextmanager
def map_exceptions() -> Iterator[None]:
    try:
        yield
    except TimeoutError as exc:
        raise UpstreamTimeout("The upstream did not answer in time.") from exc
    except aiohttp.ClientPayloadError as exc:
        raise UpstreamUnavailable("The upstream cut its response short.") from exc
    except aiohttp.ClientError as exc:
        raise UpstreamUnavailable("The upstream could not be reached.") from exc


class Upstream:
    """Opened once the base URL is known (the embedded sandbox picks its port at start-up)."""

    def __init__(
        self,
        *,
        timeout_seconds: float,
        connect_timeout_seconds: float,
        max_connections: int,
        max_buffered_bytes: int,
        on_answer: Callable[[], None] = lambda: None,
    ) -> None:
        self._on_answer = on_answer
        self._timeout = timeout_seconds
        self._connect_timeout = connect_timeout_seconds
        self._max_connections = max_connections
        self._max_buffered = max_buffered_bytes
        self._session: aiohttp.ClientSession | None = None
        # A stream may take long as a whole, but never stall for longer than the timeout.
        self._stream_timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=connect_timeout_seconds, sock_read=timeout_seconds
        )
        self._base = self._origin = URL()

    async def open(self, base_url: str) -> None:
        self._base = URL(base_url)
        self._origin = self._base.origin()
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self._max_connections),
            # Buffered exchanges are bounded as a whole; streams override this per request.
            timeout=aiohttp.ClientTimeout(
                total=self._timeout, sock_connect=self._connect_timeout, sock_read=self._timeout
            ),
            auto_decompress=False,
            cookie_jar=aiohttp.DummyCookieJar(),
            skip_auto_headers=(hdrs.USER_AGENT, hdrs.CONTENT_TYPE),
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("the upstream is used before the app started")
        return self._session

    def url_for(self, target: str, query: Query = ()) -> URL:
        # String joining keeps the upstream host even for targets like `//evil.example/x`.
        url = URL(f"{self._origin}{self._base.raw_path.rstrip('/')}{target}", encoded=True)
        if url.origin() != self._origin:
            raise UpstreamUnavailable("The request target does not belong to the upstream.")
        return url.with_query(query) if query else url

    async def send(self, request: ApiRequest) -> ApiResponse:
        """A buffered exchange; the caller asks for `Accept-Encoding: identity` (see convert)."""
        headers = request.headers
        with map_exceptions():
            async with self.session.request(
                request.method,
                self.url_for(request.path, request.query),
                headers=headers,
                data=request.body or None,
                allow_redirects=False,
            ) as response:
                self._on_answer()
                body = await self._read_bounded(response)
                answered: Mapping[str, str] = response.headers
                if hdrs.CONTENT_ENCODING in answered:  # the body was decoded above
                    answered = response.headers.copy()
                    answered.popall(hdrs.CONTENT_ENCODING, None)
                return ApiResponse(response.status, answered, body)

    async def _read_bounded(self, response: aiohttp.ClientResponse) -> bytes:
        declared = response.content_length
        if declared is not None and declared > self._max_buffered:
            raise _too_large(response.status)
        if declared is not None:
            body = await response.read()
        else:
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.content.iter_any():
                size += len(chunk)
                if size > self._max_buffered:
                    raise _too_large(response.status)
                chunks.append(chunk)
            body = b"".join(chunks)
        encoding = response.headers.get(hdrs.CONTENT_ENCODING, "identity")
        return _decoded(body, encoding, self._max_buffered, response.status)

    @asynccontextmanager
    async def stream(
        self, method: str, target: str, headers: CIMultiDict[str], body: StreamedBody | None
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """Opens a streamed exchange. The upstream has `timeout_seconds` for its headers, counted
        from the end of the request body (see proxy.server.upload); the body after them is
        bounded by the same time between reads."""
        try:
            with map_exceptions():
                async with asyncio.timeout(None) as deadline:
                    turns = _Turns(deadline, self._timeout)
                    data = None
                    if body is None:
                        turns.upstream()
                    else:
                        data = body.chunks(upstream_turn=turns.upstream, client_turn=turns.client)
                    try:
                        response = await self.session.request(
                            method,
                            self.url_for(target),
                            headers=headers,
                            data=data,
                            allow_redirects=False,
                            timeout=self._stream_timeout,
                        )
                    finally:
                        turns.over = True
            self._on_answer()
            try:
                yield response
            finally:
                response.release()
        except UpstreamError:
            # A body the client failed to send shows upstream as a cut request: name the cause.
            if body is not None and body.failure is not None:
                raise body.failure from None
            raise


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
