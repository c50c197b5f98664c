"""A listening socket for an aiohttp app, with a deadline on each connection's first request head.

aiohttp bounds idle keep-alive connections but not a client that trickles its request headers
(slowloris). Each accepted connection is wrapped so that its first request head must arrive whole
within `header_timeout`; later requests on the same connection are bounded by the keep-alive
timeout. Only public aiohttp API is used: the runner's `server` is the protocol factory.
"""

import asyncio
from typing import Final

from aiohttp import web

_HEAD_END: Final = b"\r\n\r\n"


class _HeaderDeadline(asyncio.Protocol):
    def __init__(self, inner: asyncio.Protocol, timeout: float) -> None:
        self._inner, self._timeout = inner, timeout
        self._timer: asyncio.TimerHandle | None = None
        self._tail = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._timer = asyncio.get_running_loop().call_later(self._timeout, transport.close)
        self._inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self._timer is not None:
            seen = self._tail + data
            if _HEAD_END in seen:
                self._timer.cancel()
                self._timer = None
            else:
                self._tail = seen[-3:]
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()


class Listener:
    def __init__(self, runner: web.AppRunner, host: str, port: int, header_timeout: float) -> None:
        self._runner, self._host, self._port = runner, host, port
        self._header_timeout = header_timeout
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        await self._runner.setup()
        factory = self._runner.server
        if factory is None:
            raise RuntimeError("the runner has no server after setup")
        timeout = self._header_timeout
        self._server = await asyncio.get_running_loop().create_server(
            lambda: _HeaderDeadline(factory(), timeout), self._host, self._port
        )

    @property
    def url(self) -> str:
        if self._server is None or not self._server.sockets:
            raise RuntimeError("the listener is not started")
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    async def close(self) -> None:
        """Stops accepting, then lets the runner finish in-flight requests within its grace."""
        if self._server is not None:
            self._server.close()
        await self._runner.cleanup()
