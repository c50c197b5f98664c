"""Legacy callbacks hear of expiry: sandbox → proxy (memory or Redis) → a verifying receiver.

Moda sends no event when a queued task expires; the proxy reads such tasks and sends `job.failed`
itself, signed like every relayed event, once, across a restart and across replicas.
"""

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpServer
from redis.asyncio import Redis

from proxy.app import create_app
from proxy.core.signing import verify
from proxy.keys import COMPONENT_STATS, STATE
from proxy.sandbox.settings import SandboxSettings
from proxy.secrets import WebhookSecrets
from tests.fakes.clock import ManualClock
from tests.fakes.faulty import free_port
from tests.fakes.redis_server import RedisServer
from tests.fakes.sandbox import RecordedSandbox, start_sandbox
from tests.integration.conftest import LEGACY, TOKEN, make_settings
from translations.models.client import JobResponse

SIGNING_SECRET = "whsec_expiry"
RELAY_KEY = b"the relay key every replica shares"


@dataclass
class Receiver:
    """A legacy receiver that keeps only events whose signature verifies."""

    url: str = ""
    events: list[dict[str, Any]] = field(default_factory=list)
    refusals: int = 0
    forged: int = 0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        timestamp = int(request.headers["X-Webhook-Timestamp"])
        if not verify(SIGNING_SECRET, timestamp, body, request.headers["X-Webhook-Signature"]):
            self.forged += 1
            return web.Response(status=401)
        if self.refusals:
            self.refusals -= 1
            return web.Response(status=503)
        self.events.append(json.loads(body))
        self.arrived.set()
        return web.Response(text="ok")


@dataclass
class Setup:
    sandbox: RecordedSandbox
    receiver: Receiver
    clock: ManualClock
    session: aiohttp.ClientSession
    start: Callable[..., Awaitable[TestServer]]

    async def start_task(self, proxy: TestServer, prompt: str) -> dict[str, Any]:
        body = {"prompt": prompt, "callback_url": self.receiver.url}
        url = proxy.make_url("/v1/tasks")
        async with self.session.post(url, json=body, headers=LEGACY) as sent:
            assert sent.status == 202, await sent.text()
            return dict(await sent.json())

    async def job(self, proxy: TestServer, job_id: str) -> dict[str, Any]:
        async with self.session.get(proxy.make_url(f"/v1/tasks/{job_id}"), headers=LEGACY) as got:
            assert got.status == 200
            return dict(await got.json())

    async def received(self, count: int) -> list[dict[str, Any]]:
        """Once `count` events arrived; time moves only if the caller runs this on the clock."""
        while len(self.receiver.events) < count:
            self.receiver.arrived.clear()
            await self.receiver.arrived.wait()
        return self.receiver.events

    async def events(self, count: int) -> list[dict[str, Any]]:
        """Lets time run until `count` events arrived."""
        return await self.clock.run(self.received(count), limit=600)

    def reads_of(self, job_id: str) -> int:
        return len(self.sandbox.calls_to(f"/v1/tasks/{job_id}"))


@pytest.fixture
async def setup(aiohttp_server: AiohttpServer) -> AsyncIterator[Setup]:
    clock = ManualClock()
    sandbox = await start_sandbox(
        aiohttp_server,
        clock,
        SandboxSettings(allow_http_callbacks=True, webhook_signing_secret=SIGNING_SECRET),
    )
    receiver = Receiver()
    receiver_app = web.Application()
    receiver_app.router.add_post("/hooks", receiver.handle)
    receiver.url = str((await aiohttp_server(receiver_app)).make_url("/hooks"))

    async def start(
        relay_key: bytes = RELAY_KEY, webhooks: dict[str, Any] | None = None, **state: Any
    ) -> TestServer:
        port = free_port()
        settings = make_settings(
            sandbox.url,
            server={"public_url": f"http://127.0.0.1:{port}"},
            state=state,
            webhooks={
                "allow_http_callbacks": True,
                "allow_private_callback_hosts": True,
                **(webhooks or {}),
            },
            prefer_wait={"poll_jitter_ratio": 0},
        )
        secrets = WebhookSecrets(relay_key=relay_key, default=SIGNING_SECRET)
        server = TestServer(create_app(settings, clock=clock, secrets=secrets), port=port)
        await server.start_server()
        return server

    async with aiohttp.ClientSession() as session:
        yield Setup(sandbox, receiver, clock, session, start)


async def test_an_expired_task_reaches_the_callback_once_as_job_failed_with_the_polled_error(
    setup: Setup,
) -> None:
    proxy = await setup.start()
    try:
        job = await setup.start_task(proxy, "A deck #expire")
        [event] = await setup.events(1)
        await setup.clock.advance(300)  # ten more poll intervals: nothing more arrives

        polled = await setup.job(proxy, job["job_id"])
        assert polled["status"] == "failed"
        assert (event["type"], event["api_version"]) == ("job.failed", "2026-04-12")
        assert event["data"]["job_id"] == job["job_id"]
        assert event["data"]["status"] == "failed"
        assert event["data"]["error"] == polled["error"]
        assert event["id"].startswith("evt_")
        JobResponse.model_validate(event["data"])
        assert (len(setup.receiver.events), setup.receiver.forged) == (1, 0)
        assert proxy.app[COMPONENT_STATS].expiry_watches["notified"] == 1
        assert await proxy.app[STATE].expiry.next_due() is None  # the watch is dropped
    finally:
        await proxy.close()


async def test_a_task_that_succeeds_costs_no_extra_event_and_is_not_read_after_it_ended(
    setup: Setup,
) -> None:
    proxy = await setup.start()
    try:
        job = await setup.start_task(proxy, "A deck")
        [event] = await setup.events(1)
        reads = setup.reads_of(job["job_id"])
        await setup.clock.advance(300)

        assert event["type"] == "job.completed"
        assert len(setup.receiver.events) == 1
        assert setup.reads_of(job["job_id"]) == reads  # its own event ended the watch
        assert proxy.app[COMPONENT_STATS].expiry_watches["notified"] == 0
    finally:
        await proxy.close()


async def test_a_receiver_that_refuses_hears_of_the_expiry_at_the_next_read(setup: Setup) -> None:
    setup.receiver.refusals = 1
    proxy = await setup.start()
    try:
        await setup.start_task(proxy, "#expire")
        await setup.events(1)
        await setup.clock.advance(300)
        assert [event["type"] for event in setup.receiver.events] == ["job.failed"]
    finally:
        await proxy.close()


async def _values(redis_url: str) -> list[bytes]:
    client = Redis.from_url(redis_url)
    try:
        keys = [key async for key in client.scan_iter(match="moda-proxy:expiry:watch:*")]
        values = [await client.get(key) for key in keys]
        return [value for value in values if isinstance(value, bytes)]
    finally:
        await client.aclose()


@pytest.mark.process  # starts a redis-server
async def test_with_redis_an_expiry_is_told_once_after_a_restart_by_one_of_two_replicas(
    setup: Setup, redis_server: RedisServer
) -> None:
    state = {"backend": "redis", "redis_url": redis_server.url}
    before_restart = await setup.start(**state)
    job = await setup.start_task(before_restart, "A deck #expire")
    [record] = await _values(redis_server.url)
    assert TOKEN.encode() not in record  # sealed, never in clear
    assert b"Bearer" not in record
    await before_restart.close()  # stopped before the task expires and before any read

    replicas = [await setup.start(**state), await setup.start(**state)]
    try:
        [event] = await setup.events(1)
        await setup.clock.advance(300)

        assert (event["type"], event["data"]["job_id"]) == ("job.failed", job["job_id"])
        assert len(setup.receiver.events) == 1
        assert await _values(redis_server.url) == []  # the sealed credential is dropped too
        told = [replica.app[COMPONENT_STATS].expiry_watches["notified"] for replica in replicas]
        assert sorted(told) == [0, 1]
    finally:
        for replica in replicas:
            await replica.close()


async def test_a_task_a_client_waits_on_is_read_from_that_wait_not_again_upstream(
    setup: Setup,
) -> None:
    proxy = await setup.start(webhooks={"expiry_poll_seconds": 4})
    try:
        job = await setup.start_task(proxy, "#expire")
        waiting = {**LEGACY, "Prefer": "wait=20"}

        async def wait_and_hear() -> list[dict[str, Any]]:
            url = proxy.make_url(f"/v1/tasks/{job['job_id']}")
            async with setup.session.get(url, headers=waiting) as held:
                assert (await held.json())["status"] == "failed"
            # Already on the clock: one clock.run at a time moves time.
            return await setup.received(1)

        [event] = await setup.clock.run(wait_and_hear())
        stats = proxy.app[COMPONENT_STATS]
        # Reads at 4 s and 8 s found the wait's Task; only one after the wait let go went upstream.
        assert stats.expiry_watches["read"] == 1
        assert stats.wait_polls >= 2
        assert event["type"] == "job.failed"
    finally:
        await proxy.close()


async def test_with_expiry_notices_off_nothing_is_kept_and_no_expiry_is_told(setup: Setup) -> None:
    proxy = await setup.start(webhooks={"expiry_notices": False})
    try:
        job = await setup.start_task(proxy, "#expire")
        await setup.clock.advance(300)
        assert setup.receiver.events == []
        assert await proxy.app[STATE].expiry.next_due() is None
        assert setup.reads_of(job["job_id"]) == 0
    finally:
        await proxy.close()


@pytest.mark.process  # starts a redis-server
async def test_watches_sealed_under_another_relay_secret_are_dropped_unread(
    setup: Setup, redis_server: RedisServer
) -> None:
    state = {"backend": "redis", "redis_url": redis_server.url}
    before = await setup.start(**state)
    job = await setup.start_task(before, "#expire")
    await before.close()

    rotated = await setup.start(relay_key=b"a new relay secret", **state)
    try:
        await setup.clock.advance(300)
        assert await _values(redis_server.url) == []
        assert setup.receiver.events == []
        assert setup.reads_of(job["job_id"]) == 0  # a key it cannot open is never used
    finally:
        await rotated.close()
