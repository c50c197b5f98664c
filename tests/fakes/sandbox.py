"""The sandbox Moda API on its own loopback port, recording every request it receives."""

from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.test_utils import TestServer
from aiohttp.typedefs import Handler
from pytest_aiohttp import AiohttpServer

from proxy.clock import Clock
from proxy.sandbox.account import Account
from proxy.sandbox.app import SANDBOX_STATE, create_sandbox_app
from proxy.sandbox.settings import SandboxSettings


@dataclass
class RecordedSandbox:
    server: TestServer
    app: web.Application
    calls: list[tuple[str, str]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    def account(self, token: str) -> Account:
        return self.app[SANDBOX_STATE].account(token)

    def calls_to(self, path: str) -> list[str]:
        return [target for _, target in self.calls if target.split("?")[0] == path]


async def start_sandbox(
    aiohttp_server: AiohttpServer, clock: Clock, settings: SandboxSettings | None = None
) -> RecordedSandbox:
    app = create_sandbox_app(settings or SandboxSettings(), clock)
    calls: list[tuple[str, str]] = []

    @web.middleware
    async def record(request: web.Request, handler: Handler) -> web.StreamResponse:
        calls.append((request.method, request.raw_path))
        return await handler(request)

    app.middlewares.insert(0, record)
    return RecordedSandbox(await aiohttp_server(app), app, calls)
