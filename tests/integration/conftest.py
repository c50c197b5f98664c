"""Fixtures that run the real proxy on loopback, against the sandbox or a misbehaving upstream."""

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, cast

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from proxy.app import create_app
from proxy.config import Settings, settings_from
from proxy.sandbox.app import create_sandbox_app
from proxy.sandbox.settings import SandboxSettings
from proxy.server.access import AccessLog
from tests.fakes.clock import FakeClock
from tests.fakes.public_listener import PublicListenerServer, serves_publicly
from tests.fakes.redis_server import RedisServer
from tests.fakes.sandbox_client import Client as SandboxClient
from tests.fakes.sandbox_client import ClientFactory

TOKEN = "moda_live_integration"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
LEGACY = {**AUTH, "Moda-Version": "2026-04-12"}
CANONICAL = {**AUTH, "Moda-Version": "2026-05-01"}

ProxyClient = TestClient[web.Request, web.Application]
ProxyFactory = Callable[..., Awaitable[ProxyClient]]


def make_settings(upstream_url: str = "sandbox", **sections: dict[str, Any]) -> Settings:
    data: dict[str, Any] = {
        **sections,
        "upstream": {"url": upstream_url, **sections.get("upstream", {})},
    }
    data.setdefault("sandbox", {"queued_seconds": 2, "running_seconds": 8})
    return settings_from(data)


@pytest.fixture
def aiohttp_client(aiohttp_client: AiohttpClient) -> AiohttpClient:
    """pytest-aiohttp's client; the public app is served as the product serves it."""

    async def client(served: Any, **kwargs: Any) -> Any:
        if isinstance(served, web.Application) and serves_publicly(served):
            served = PublicListenerServer(served)
        return await aiohttp_client(served, **kwargs)

    return cast(AiohttpClient, client)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def access_lines() -> list[bytes]:
    """Every access-log line the proxies of one test wrote."""
    return []


@pytest.fixture
def start_proxy(
    aiohttp_client: AiohttpClient, clock: FakeClock, access_lines: list[bytes]
) -> ProxyFactory:
    async def start(upstream_url: str = "sandbox", **sections: dict[str, Any]) -> ProxyClient:
        settings = make_settings(upstream_url, **sections)
        access_log = AccessLog(lambda batch: access_lines.extend(batch.splitlines(keepends=True)))
        app = create_app(settings, clock=clock, access_log=access_log)
        return await aiohttp_client(app)

    return start


@pytest.fixture
async def proxy(start_proxy: ProxyFactory) -> ProxyClient:
    return await start_proxy()


@pytest.fixture
def sandbox_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_sandbox(aiohttp_client: AiohttpClient, sandbox_clock: FakeClock) -> ClientFactory:
    """The sandbox app alone, with settings overridden per test."""

    async def make(**overrides: Any) -> SandboxClient:
        return await aiohttp_client(create_sandbox_app(SandboxSettings(**overrides), sandbox_clock))

    return make


@pytest.fixture
async def redis_server(tmp_path: Path) -> AsyncIterator[RedisServer]:
    """A real redis-server of the test's own, on a free loopback port."""
    server = RedisServer(tmp_path)
    await server.start()
    yield server
    await server.kill()
