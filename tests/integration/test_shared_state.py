"""Two proxy replicas sharing one real Redis: pages, waits, team ids and webhook replays.

Each replica is a whole proxy app on its own loopback port; both front one recording sandbox, so
every upstream request either of them makes is counted.
"""

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient, AiohttpServer

from proxy.app import create_admin_app, create_app
from proxy.config import StateSettings
from proxy.core.credentials import credential_fingerprint
from proxy.core.relay import RelayTarget, seal
from proxy.core.signing import sign
from proxy.keys import COMPONENT_STATS
from proxy.metrics import ComponentStats
from proxy.sandbox.settings import SandboxSettings
from proxy.secrets import WebhookSecrets
from proxy.state.link import RedisLink, connect
from proxy.state.waits import RedisWaitLeases
from tests.factories import make_task
from tests.fakes.clock import ManualClock
from tests.fakes.redis_server import RedisServer
from tests.fakes.sandbox import RecordedSandbox, start_sandbox
from tests.integration.conftest import CANONICAL, LEGACY, TOKEN, make_settings

# Starts real processes: left out of the fast set (`pytest -m "not process"`).
pytestmark = pytest.mark.process

Client = TestClient[web.Request, web.Application]
SIGNING_SECRET = "whsec_shared_state"
RELAY_KEY = b"one relay key on every replica"


@dataclass
class Replicas:
    sandbox: RecordedSandbox
    first: Client
    second: Client
    clock: ManualClock

    def upstream_calls(self, path: str) -> int:
        return len(self.sandbox.calls_to(path))


StartReplicas = Callable[..., Awaitable[Replicas]]


@pytest.fixture
async def redis_server(tmp_path: Path) -> AsyncIterator[RedisServer]:
    server = RedisServer(tmp_path)
    await server.start()
    yield server
    await server.kill()


@pytest.fixture
def start_replicas(
    aiohttp_client: AiohttpClient, aiohttp_server: AiohttpServer, redis_server: RedisServer
) -> StartReplicas:
    async def start(backend: str = "redis") -> Replicas:
        # Redis answers from another process, after real time the event loop cannot see.
        clock = ManualClock(external_round_trip=0.02)
        sandbox = await start_sandbox(
            aiohttp_server, clock, SandboxSettings(queued_seconds=2, running_seconds=8)
        )
        sandbox.account(TOKEN).add_canvases(255)  # 300 with the 45 seeded ones
        settings = make_settings(
            sandbox.url,
            state={"backend": backend, "redis_url": redis_server.url, "retry_seconds": 0.2},
            prefer_wait={"poll_jitter_ratio": 0},
        )
        secrets = WebhookSecrets(relay_key=RELAY_KEY, default=SIGNING_SECRET)
        first, second = [
            await aiohttp_client(create_app(settings, clock=clock, secrets=secrets))
            for _ in range(2)
        ]
        return Replicas(sandbox, first, second, clock)

    return start


async def _page(proxy: Client, offset: int) -> dict[str, Any]:
    response = await proxy.get(f"/v1/canvases?offset={offset}&limit=20", headers=LEGACY)
    assert response.status == 200
    return dict(await response.json())


async def _canonical_ids(replicas: Replicas) -> list[str]:
    ids: list[str] = []
    query = "limit=100"
    while True:
        page = await (await replicas.first.get(f"/v1/canvases?{query}", headers=CANONICAL)).json()
        ids.extend(item["id"] for item in page["data"])
        if not page["next_cursor"]:
            return ids
        query = f"limit=100&cursor={page['next_cursor']}"


async def _read_alternately(replicas: Replicas) -> tuple[int, list[str]]:
    """Reads every canvas, 20 a page, odd pages through the second replica; checks each page.

    Returns the upstream requests of the pages after the first (which also counts the list)."""
    expected = await _canonical_ids(replicas)
    first_page = await _page(replicas.first, 0)
    before = replicas.upstream_calls("/v1/canvases")
    seen = [item["id"] for item in first_page["canvases"]]
    for number, offset in enumerate(range(20, len(expected), 20)):
        replica = replicas.second if number % 2 == 0 else replicas.first
        page = await _page(replica, offset)
        assert (page["total"], page["has_more"]) == (len(expected), offset + 20 < len(expected))
        seen.extend(item["id"] for item in page["canvases"])
    assert seen == expected
    return replicas.upstream_calls("/v1/canvases") - before, seen


async def test_a_list_read_alternately_through_two_replicas_costs_one_upstream_request_a_page(
    start_replicas: StartReplicas,
) -> None:
    replicas = await start_replicas()
    cost, seen = await _read_alternately(replicas)
    assert cost == 14
    assert len(seen) == 300


async def test_with_memory_state_the_other_replica_walks_and_counts_again(
    start_replicas: StartReplicas,
) -> None:
    replicas = await start_replicas(backend="memory")
    cost, seen = await _read_alternately(replicas)
    assert cost > 14  # the measure above can fail: per-process checkpoints do not travel
    assert len(seen) == 300


async def test_a_team_id_is_looked_up_once_for_all_replicas(start_replicas: StartReplicas) -> None:
    replicas = await start_replicas()
    team_id = replicas.sandbox.account(TOKEN).me.team_id
    for replica in (replicas.first, replicas.second, replicas.first):
        page = await (await replica.get("/v1/brand-kits", headers=LEGACY)).json()
        assert {kit["team_id"] for kit in page["brand_kits"]} == {team_id}
    assert replicas.upstream_calls("/v1/whoami") == 1


async def _upstream_gets_for(replicas: Replicas, waiters_per_replica: tuple[int, int]) -> int:
    """Upstream GETs while waiters on both replicas wait for one task to finish."""
    created = await (
        await replicas.first.post("/v1/tasks", json={"prompt": "x"}, headers=LEGACY)
    ).json()
    path = f"/v1/tasks/{created['job_id']}"
    before = replicas.upstream_calls(path)

    async def wait_once(replica: Client) -> str:
        response = await replica.get(path, headers={**LEGACY, "Prefer": "wait=20"})
        return str((await response.json())["status"])

    first, second = waiters_per_replica
    everyone = [replicas.first] * first + [replicas.second] * second
    statuses = await replicas.clock.run(asyncio.gather(*(wait_once(r) for r in everyone)))
    assert set(statuses) == {"completed"}
    return replicas.upstream_calls(path) - before  # every GET: the waiters' first ones and polls


async def test_two_hundred_waiters_over_two_replicas_cause_one_poll_stream(
    start_replicas: StartReplicas,
) -> None:
    replicas = await start_replicas()
    alone = await _upstream_gets_for(replicas, (1, 0))
    crowd = await _upstream_gets_for(replicas, (100, 100))
    assert alone >= 3
    assert crowd == alone + 1  # one first GET per replica, then one poll stream for both


async def test_with_memory_state_each_replica_upstream_gets_for_its_own_waiters(
    start_replicas: StartReplicas,
) -> None:
    replicas = await start_replicas(backend="memory")
    alone = await _upstream_gets_for(replicas, (1, 0))
    assert await _upstream_gets_for(replicas, (100, 100)) > alone  # a poll stream per replica


@dataclass
class Receiver:
    url: str = ""
    events: list[dict[str, Any]] = field(default_factory=list)
    hold_seconds: float = 0.0

    async def handle(self, request: web.Request) -> web.Response:
        await asyncio.sleep(self.hold_seconds)
        self.events.append(await request.json())
        return web.Response(text="ok")


async def _relay(replica: Client, receiver_url: str, event_id: str, clock: ManualClock) -> int:
    fingerprint = credential_fingerprint(LEGACY["Authorization"])
    token = seal(RELAY_KEY, RelayTarget(receiver_url, fingerprint, "2026-04-12"))
    event = {
        "id": event_id,
        "type": "task.canceled",
        "created": "2026-11-01T12:00:00+00:00",
        "api_version": "2026-05-01",
        "data": make_task(status="canceled", completed_at="2026-04-15T12:00:01+00:00"),
    }
    body = json.dumps(event).encode()
    timestamp = int(clock.wall().timestamp())
    headers = {
        "Content-Type": "application/json",
        "X-Webhook-Timestamp": str(timestamp),
        "X-Webhook-Signature": sign(SIGNING_SECRET, timestamp, body),
    }
    response = await replica.post(f"/-/webhooks/relay/{token}", data=body, headers=headers)
    return response.status


@pytest.fixture
async def receiver(aiohttp_server: AiohttpServer) -> Receiver:
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/hooks", receiver.handle)
    receiver.url = str((await aiohttp_server(app)).make_url("/hooks"))
    return receiver


async def test_a_webhook_replayed_to_the_other_replica_is_refused(
    start_replicas: StartReplicas, receiver: Receiver
) -> None:
    replicas = await start_replicas()
    events, url = receiver.events, receiver.url
    assert await _relay(replicas.first, url, "evt_1", replicas.clock) == 200
    assert await _relay(replicas.second, url, "evt_1", replicas.clock) == 200  # acked, not sent
    assert await _relay(replicas.second, url, "evt_2", replicas.clock) == 200
    assert [event["id"] for event in events] == ["evt_1", "evt_2"]
    outcomes = replicas.second.app[COMPONENT_STATS].webhook_relays
    assert (outcomes["duplicate"], outcomes["delivered"]) == (1, 1)


async def test_one_event_sent_to_both_replicas_at_once_is_delivered_once(
    start_replicas: StartReplicas, receiver: Receiver
) -> None:
    replicas = await start_replicas()
    events, url = receiver.events, receiver.url
    receiver.hold_seconds = 0.3
    statuses = await asyncio.gather(
        _relay(replicas.first, url, "evt_1", replicas.clock),
        _relay(replicas.second, url, "evt_1", replicas.clock),
    )
    assert sorted(statuses) == [200, 409]  # the loser is retried by Moda, then refused as a replay
    assert await _relay(replicas.second, url, "evt_1", replicas.clock) == 200
    assert [event["id"] for event in events] == ["evt_1"]


async def _metric(admin: Client, sample: str) -> float:
    text = await (await admin.get("/-/metrics")).text()
    [line] = [line for line in text.splitlines() if line.startswith(sample + " ")]
    return float(line.rsplit(" ", 1)[1])


async def test_while_redis_is_down_answers_stay_right_and_it_is_used_again_once_back(
    start_replicas: StartReplicas,
    redis_server: RedisServer,
    receiver: Receiver,
    aiohttp_client: AiohttpClient,
) -> None:
    replicas = await start_replicas()
    admin = await aiohttp_client(create_admin_app(replicas.second.app))
    await _read_alternately(replicas)
    await redis_server.kill()

    await _read_alternately(replicas)
    assert await _upstream_gets_for(replicas, (3, 3)) >= 2
    assert await _relay(replicas.second, receiver.url, "evt_down", replicas.clock) == 200
    assert await _relay(replicas.second, receiver.url, "evt_down", replicas.clock) == 200
    assert [event["id"] for event in receiver.events] == ["evt_down"]
    ready = await admin.get("/-/readyz")
    assert ready.status == 200  # every replica would be unready at once, yet each still serves
    assert (await ready.json())["state"] == {
        "backend": "redis",
        "redis": "down",
        "error": "ConnectionError",
    }
    assert await _metric(admin, 'proxy_state_backend_up{backend="redis"}') == 0
    assert await _metric(admin, 'proxy_state_fallbacks_total{store="pagination"}') > 0

    await redis_server.start()
    await replicas.clock.advance(0.3)  # past state.retry_seconds
    cost, seen = await _read_alternately(replicas)
    assert len(seen) == 301  # the task waited on above made a canvas
    assert cost == 15
    assert (await (await admin.get("/-/readyz")).json())["state"]["redis"] == "up"
    assert await _metric(admin, 'proxy_state_backend_up{backend="redis"}') == 1


async def test_a_lease_left_by_a_dead_poller_is_taken_over(
    start_replicas: StartReplicas, redis_server: RedisServer
) -> None:
    replicas = await start_replicas()
    created = await (
        await replicas.first.post("/v1/tasks", json={"prompt": "x"}, headers=LEGACY)
    ).json()
    path = f"/v1/tasks/{created['job_id']}"
    # Another replica took the lease, then died: it never polls, renews or resigns.
    ghost_settings = StateSettings(redis_url=redis_server.url, wait_lease_seconds=0.3)
    ghost_link = RedisLink(
        connect(ghost_settings), ghost_settings, ComponentStats(), replicas.clock
    )
    fingerprint = credential_fingerprint(LEGACY["Authorization"])
    assert fingerprint is not None
    ghost = RedisWaitLeases(ghost_link, ghost_settings)
    assert (await ghost.take_turn(fingerprint, created["job_id"], hold_seconds=0)).polls
    await ghost_link.close()
    before = replicas.upstream_calls(path)

    async def wait_once() -> str:
        response = await replicas.second.get(path, headers={**LEGACY, "Prefer": "wait=20"})
        return str((await response.json())["status"])

    statuses = await replicas.clock.run(asyncio.gather(*(wait_once() for _ in range(20))))
    assert set(statuses) == {"completed"}
    # The waiters' one shared first GET, then at least one poll: the second replica polled.
    assert replicas.upstream_calls(path) - before >= 2
