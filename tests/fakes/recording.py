"""An upstream that records what reached it and answers what the test scripted."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web
from multidict import CIMultiDictProxy

Responder = Callable[[web.Request, bytes], Awaitable[web.StreamResponse]]


@dataclass
class Received:
    method: str
    path_qs: str
    headers: CIMultiDictProxy[str]
    body: bytes


@dataclass
class RecordingUpstream:
    responder: Responder
    calls: list[Received] = field(default_factory=list)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.calls.append(Received(request.method, request.raw_path, request.headers, body))
        return await self.responder(request, body)

    def app(self) -> web.Application:
        app = web.Application(client_max_size=256 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        return app


def answer(
    status: int = 200,
    body: bytes = b"{}",
    headers: dict[str, str] | None = None,
) -> Responder:
    async def respond(request: web.Request, received: bytes) -> web.StreamResponse:
        return web.Response(status=status, body=body, headers=headers or {})

    return respond
