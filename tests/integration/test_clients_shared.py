"""The migration report of replicas sharing Redis, in process: one report, caps across replicas,
and counts kept through a Redis outage."""

import asyncio
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient
from prometheus_client import CollectorRegistry
from pytest_aiohttp import AiohttpClient

from proxy.app import create_admin_app, create_app
from proxy.core.credentials import credential_fingerprint
from tests.fakes.clock import FakeClock
from tests.fakes.processes import eventually
from tests.fakes.redis_server import RedisServer
from tests.integration.conftest import make_settings

Client = TestClient[web.Request, web.Application]


def _headers(name: str, **more: str) -> dict[str, str]:
    return {"Authorization": f"Bearer moda_live_{name}", **more}


def _fingerprint(name: str) -> str:
    found = credential_fingerprint(f"Bearer moda_live_{name}")
    assert found is not None
    return found


async def _replica(
    aiohttp_client: AiohttpClient, clock: FakeClock, redis: RedisServer, **clients: Any
) -> tuple[Client, Client]:
    settings = make_settings(
        state={"backend": "redis", "redis_url": redis.url, "retry_seconds": 0.05},
        clients=clients,
    )
    app = create_app(settings, clock=clock, registry=CollectorRegistry())
    return await aiohttp_client(app), await aiohttp_client(create_admin_app(app))


async def _report(admin: Client) -> dict[str, Any]:
    response = await admin.get("/-/clients")
    assert response.status == 200
    report: dict[str, Any] = await response.json()
    return report


def _by_client(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {client["fingerprint"]: client for client in report["clients"]}


async def test_replicas_show_one_report_with_caps_held_across_them(
    aiohttp_client: AiohttpClient, redis_server: RedisServer
) -> None:
    clock = FakeClock()
    caps = {"max_clients": 2, "max_user_agents": 1, "user_agent_chars": 8}
    first, first_admin = await _replica(aiohttp_client, clock, redis_server, **caps)
    second, second_admin = await _replica(aiohttp_client, clock, redis_server, **caps)

    await first.get("/v1/credits", headers=_headers("a", **{"User-Agent": "alpha-client/1.0"}))
    await _report(first_admin)
    await second.get("/v1/credits", headers=_headers("a", **{"User-Agent": "beta-client/2.0"}))
    await second.get("/v1/credits", headers=_headers("b"))
    await _report(second_admin)
    await first.get("/v1/credits", headers=_headers("c"))
    await _report(first_admin)

    one, other = await _report(first_admin), await _report(second_admin)
    assert one["clients"] == other["clients"]
    clients = _by_client(one)
    assert set(clients) == {_fingerprint("a"), _fingerprint("b"), "other"}
    assert clients[_fingerprint("a")]["requests_last_hour"] == {"GET /v1/credits": 2}
    assert clients[_fingerprint("a")]["user_agents"] == ["alpha-cl", "other"]
    assert clients["other"]["requests_last_hour"] == {"GET /v1/credits": 1}

    forgotten = await second_admin.delete(f"/-/clients/{_fingerprint('a')}")
    assert forgotten.status == 204
    assert _fingerprint("a") not in _by_client(await _report(first_admin))


async def test_counts_made_while_redis_is_away_reach_it_when_it_is_back(
    aiohttp_client: AiohttpClient, redis_server: RedisServer
) -> None:
    clock = FakeClock()
    proxy, admin = await _replica(aiohttp_client, clock, redis_server)
    _, other_admin = await _replica(aiohttp_client, clock, redis_server)
    await redis_server.kill()

    await proxy.get("/v1/credits", headers=_headers("a"))
    while_away = await _report(admin)
    assert _by_client(while_away)[_fingerprint("a")]["requests_last_hour"] == {"GET /v1/credits": 1}
    gone = await admin.delete(f"/-/clients/{_fingerprint('b')}")
    assert gone.status == 503

    await redis_server.start()
    clock.advance(1.0)  # past state.retry_seconds: the link tries Redis again
    await proxy.get("/v1/credits", headers=_headers("a"))

    async def reached_redis() -> bool:
        # Time passes between tries: a first call that meets a connection Redis dropped when it
        # went away marks it down again, for retry_seconds.
        clock.advance(1.0)
        await _report(admin)  # adds this replica's counts, now that Redis answers
        return _fingerprint("a") in _by_client(await _report(other_admin))

    await eventually(reached_redis)
    shared = _by_client(await _report(other_admin))
    assert shared[_fingerprint("a")]["requests_last_hour"] == {"GET /v1/credits": 2}


async def test_reports_read_while_counts_flush_neither_lose_nor_repeat_a_request(
    aiohttp_client: AiohttpClient, redis_server: RedisServer
) -> None:
    # A report flushes this replica's counts first: reads that overlap one another (or the
    # periodic flush) once sent the same counts to Redis twice.
    clock = FakeClock()
    proxy, admin = await _replica(aiohttp_client, clock, redis_server, flush_seconds=0.01)
    _, other_admin = await _replica(aiohttp_client, clock, redis_server)

    for sent in range(1, 6):
        await proxy.get("/v1/credits", headers=_headers("a"))
        reports = await asyncio.gather(*(_report(admin) for _ in range(4)))
        for report in reports:
            seen = _by_client(report)[_fingerprint("a")]["requests_last_hour"]
            assert seen == {"GET /v1/credits": sent}

    shared = _by_client(await _report(other_admin))
    assert shared[_fingerprint("a")]["requests_last_hour"] == {"GET /v1/credits": 5}
