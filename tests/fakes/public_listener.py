"""aiohttp's test client in front of the public app as the product serves it: on the proxy's own
HTTP/1.1 server (proxy.server.listener), not on aiohttp's test server."""

from typing import Any

from aiohttp import web
from aiohttp.test_utils import BaseTestServer
from aiohttp.web_runner import BaseRunner
from yarl import URL

from proxy.keys import PUBLIC_DISPATCH, SETTINGS
from proxy.server.listener import Listener, start_listener


def serves_publicly(app: web.Application) -> bool:
    return PUBLIC_DISPATCH in app


class PublicListenerServer(BaseTestServer):
    def __init__(self, app: web.Application) -> None:
        super().__init__()
        self.app = app
        self._listener: Listener | None = None

    async def start_server(self, loop: Any = None, **kwargs: Any) -> None:
        if self.runner is None:
            self.runner = await self._make_runner()

    async def _make_runner(self, **kwargs: Any) -> BaseRunner:
        self._listener = await start_listener(
            self.app, self.app[SETTINGS].server, listen="127.0.0.1:0"
        )
        self._root = URL(self._listener.url)
        self.host, self.port, self.scheme = "127.0.0.1", self._root.port, "http"
        return self._listener.runner

    async def close(self) -> None:
        if self._listener is not None and not self._closed:
            await self._listener.close()
            self._root = None
            self._closed = True
