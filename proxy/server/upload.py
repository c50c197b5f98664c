"""A client's request body streamed to the upstream, bounded in size and in how long it may stall.

While the body flows, each side is timed only for its own turn: the client for the next chunk
(`server.client_body_timeout_seconds` of silence, else 408), the upstream for taking the chunk in
and, once the body has ended, for its answer (`upstream.timeout_seconds`, else 504). An upload
that keeps flowing may therefore take as long as it needs.
"""

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Final

import aiohttp

from proxy.errors import ClientRequestError, ClientTooSlow, RequestTooLarge

_CHUNK: Final = 64 * 1024


def body_too_large(limit: int) -> RequestTooLarge:
    return RequestTooLarge(
        f"The request body is larger than {limit} bytes.", details={"max_bytes": limit}
    )


class StreamedBody:
    def __init__(self, content: aiohttp.StreamReader, *, max_bytes: int, idle_seconds: float):
        self._content = content
        self._max_bytes = max_bytes
        self._idle_seconds = idle_seconds
        # Why the upload failed, when the client caused it: the upstream only sees a cut request.
        self.failure: ClientRequestError | None = None
        self.ended_at: float | None = None

    async def chunks(
        self, *, upstream_turn: Callable[[], None], client_turn: Callable[[], None]
    ) -> AsyncIterator[bytes]:
        """The body's chunks; `upstream_turn` and `client_turn` say whose time is running."""
        sent = 0
        try:
            while chunk := await self._next_chunk():
                sent += len(chunk)
                if sent > self._max_bytes:
                    raise body_too_large(self._max_bytes)
                upstream_turn()
                yield chunk
                client_turn()
        except ClientRequestError as exc:
            self.failure = exc
            raise
        self.ended_at = time.perf_counter()
        upstream_turn()

    async def _next_chunk(self) -> bytes:
        # Bytes already here need no timer: a small body usually arrives with its head.
        chunk = self._content.read_nowait(_CHUNK)
        if chunk or self._content.at_eof():
            return chunk
        try:
            async with asyncio.timeout(self._idle_seconds):
                return await self._content.read(_CHUNK)
        except TimeoutError as exc:
            raise ClientTooSlow(
                f"The request body stalled for {self._idle_seconds:g} s.",
                details={"idle_seconds": self._idle_seconds},
            ) from exc
