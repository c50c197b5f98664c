"""A listening socket for an aiohttp app, with a deadline on each connection's first request head.

The public app (the one with `PUBLIC_DISPATCH`) is served by the proxy's own HTTP/1.1 server
(proxy.server.http1.server); the admin listener and the embedded sandbox by aiohttp's.

aiohttp bounds idle keep-alive connections but not a client that trickles its request headers
(slowloris). Each accepted connection is wrapped so that its first request head must arrive whole
within `header_timeout`; later requests on the same connection are bounded by the keep-alive
timeout. The runner's `server`, or the public server, is the protocol factory.
"""

import asyncio
import socket
from collections.abc import Callable, Sequence
from typing import Final

from aiohttp import web
from multidict import CIMultiDict

from proxy.config import ServerSettings, parse_listen
from proxy.keys import PUBLIC_DISPATCH, SETTINGS, SUNSET_HEADERS
from proxy.server.convert import MODA_VERSION
from proxy.server.http1.server import PublicServer

_HEAD_END: Final = b"\r\n\r\n"
# Room above server.max_header_bytes, so oversized headers get Moda's envelope (431).
_PARSER_LIMIT: Final = 64 * 1024


class _HeaderDeadline(asyncio.Protocol):
    def __init__(self, inner: asyncio.Protocol, timeout: float) -> None:
        self._inner, self._timeout = inner, timeout
        self._timer: asyncio.TimerHandle | None = None
        self._transport: asyncio.BaseTransport | None = None
        self._tail = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport
        self._timer = asyncio.get_running_loop().call_later(self._timeout, transport.close)
        self._inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        seen = self._tail + data
        if _HEAD_END in seen:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            # The deadline is met: later data goes straight to aiohttp, at no cost per request.
            if self._transport is not None:
                self._transport.set_protocol(self._inner)
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
    """Serves a runner on (host, port), or on `sockets` bound elsewhere (see proxy.workers)."""

    def __init__(
        self,
        runner: web.AppRunner,
        header_timeout: float,
        *,
        address: tuple[str, int] | None = None,
        sockets: Sequence[socket.socket] = (),
        protocols: Callable[[], asyncio.Protocol] | None = None,
    ) -> None:
        if (address is None) == (not sockets):
            raise ValueError("a listener takes either an address or sockets")
        self._runner, self._address, self._sockets = runner, address, sockets
        self._protocols = protocols
        self._header_timeout = header_timeout
        self._servers: list[asyncio.Server] = []

    async def start(self) -> None:
        await self._runner.setup()
        factory = self._protocols or self._runner.server
        if factory is None:
            raise RuntimeError("the runner has no server after setup")
        timeout = self._header_timeout
        loop = asyncio.get_running_loop()

        def protocol() -> asyncio.Protocol:
            return _HeaderDeadline(factory(), timeout)

        if self._address is not None:
            self._servers.append(await loop.create_server(protocol, *self._address))
        for sock in self._sockets:
            self._servers.append(await loop.create_server(protocol, sock=sock))

    @property
    def runner(self) -> web.AppRunner:
        return self._runner

    @property
    def url(self) -> str:
        sockets = [sock for server in self._servers for sock in server.sockets]
        if not sockets:
            raise RuntimeError("the listener is not started")
        host, port = sockets[0].getsockname()[:2]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    async def close(self) -> None:
        """Stops accepting, then lets the runner finish in-flight requests within its grace."""
        for server in self._servers:
            server.close()
        await self._runner.cleanup()


async def start_listener(
    app: web.Application,
    server: ServerSettings,
    *,
    listen: str | None = None,
    sockets: Sequence[socket.socket] = (),
) -> Listener:
    """Serves `app` on `listen` (HOST:PORT) or on bound `sockets`, with the server's limits."""
    # Cancelling the handler of a client that went away releases what it held (a wait, a stream).
    runner = web.AppRunner(
        app,
        access_log=None,
        shutdown_timeout=server.shutdown_grace_seconds,
        keepalive_timeout=server.keepalive_timeout_seconds,
        handler_cancellation=True,
        max_field_size=_PARSER_LIMIT,
        max_line_size=_PARSER_LIMIT,
    )
    address = parse_listen(listen) if listen is not None else None
    listener = Listener(
        runner,
        server.header_timeout_seconds,
        address=address,
        sockets=sockets,
        protocols=_public_server(app, server),
    )
    await listener.start()
    return listener


def _public_server(app: web.Application, server: ServerSettings) -> PublicServer | None:
    dispatch = app.get(PUBLIC_DISPATCH)
    if dispatch is None:
        return None
    public = PublicServer(
        make_request=app._make_request,
        dispatch=dispatch,
        refusal_headers=_refusal_headers(app),
        keepalive_timeout=server.keepalive_timeout_seconds,
        shutdown_grace=server.shutdown_grace_seconds,
    )

    async def finish_connections(app: web.Application) -> None:
        await public.shut_down()

    # After the app's own shutdown steps: released waits end their requests sooner.
    app.on_shutdown.append(finish_connections)
    return public


def _refusal_headers(app: web.Application) -> CIMultiDict[str]:
    """What a request refused before it could be read is answered in: the default version."""
    version = app[SETTINGS].versions.default
    headers = CIMultiDict({MODA_VERSION: version})
    sunset = app[SUNSET_HEADERS].get(version)
    if sunset is not None:
        sunset.add_to(headers)
    return headers
