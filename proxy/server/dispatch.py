"""The public app's two routes, resolved without aiohttp's router.

The public app has the webhook relay, under `RELAY_PATH`, and the catch-all every other request
takes. aiohttp's router finds them with a regular expression and builds a fresh match for each
request; on the public listener (proxy.server.http1.server) the catch-all's match is built once,
and only relay requests go through the app's own routing. Either way the same middleware, the
`RequestObserver`'s, sees every request.
"""

from collections.abc import Awaitable

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from aiohttp.web_urldispatcher import AbstractRoute, UrlMappingMatchInfo


class PublicDispatch:
    def __init__(
        self, app: web.Application, catch_all: AbstractRoute, middleware: Middleware, aside: str
    ) -> None:
        self._app = app
        self._aside = aside
        self._middleware = middleware
        self._handler: Handler = catch_all.handler
        match = UrlMappingMatchInfo({}, catch_all)
        match.add_app(app)
        match.freeze()
        self._catch_all = match

    def __call__(self, request: web.Request) -> Awaitable[web.StreamResponse]:
        if request.rel_url.raw_path.startswith(self._aside):
            return self._app._handle(request)
        request._match_info = self._catch_all
        return self._middleware(request, self._handler)
