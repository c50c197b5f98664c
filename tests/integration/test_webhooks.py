"""The whole webhook chain on loopback: sandbox → proxy relay → a legacy receiver."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpServer

from proxy.app import create_app
from proxy.core.credentials import credential_fingerprint
from proxy.core.relay import RelayTarget, seal
from proxy.core.signing import sign, verify
from proxy.sandbox.settings import SandboxSettings
from proxy.secrets import WebhookSecrets
from tests.factories import make_task
from tests.fakes.clock import ManualClock
from tests.fakes.faulty import free_port
from tests.fakes.recording import Received, RecordingUpstream, answer
from tests.fakes.sandbox import RecordedSandbox, start_sandbox
from tests.integration.conftest import ProxyFactory, make_settings
from translations.models.client import JobResponse

SIGNING_SECRET = "whsec_integration"
RELAY_KEY = b"relay-key-for-tests"
LEGACY = {"Authorization": "Bearer moda_live_hooks", "Moda-Version": "2026-04-12"}


@dataclass
class Receiver:
    """A legacy receiver: verifies signatures as its unchanged code always did."""

    answers: list[int] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    attempts: int = 0
    url: str = ""
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        self.attempts += 1
        body = await request.read()
        timestamp = int(request.headers["X-Webhook-Timestamp"])
        if not verify(SIGNING_SECRET, timestamp, body, request.headers["X-Webhook-Signature"]):
            return web.Response(status=401)
        status = self.answers.pop(0) if self.answers else 200
        if status == 200:
            self.events.append(json.loads(body))
            self.arrived.set()
        return web.Response(status=status, text="receiver says no" if status != 200 else "ok")


@dataclass
class Chain:
    sandbox: RecordedSandbox
    receiver: Receiver
    proxy_url: str
    session: aiohttp.ClientSession
    clock: ManualClock

    async def start_task(self, prompt: str) -> dict[str, Any]:
        body = {"prompt": prompt, "callback_url": self.receiver.url}
        async with self.session.post(
            f"{self.proxy_url}/v1/tasks", json=body, headers=LEGACY
        ) as response:
            assert response.status == 202, await response.text()
            return dict(await response.json())

    async def events(self, count: int) -> list[dict[str, Any]]:
        """Lets time run (tasks finish, retries fire) until `count` events were received."""

        async def received() -> list[dict[str, Any]]:
            while len(self.receiver.events) < count:
                self.receiver.arrived.clear()
                await self.receiver.arrived.wait()
            return self.receiver.events

        return await self.clock.run(received(), limit=120)


@pytest.fixture
async def chain(aiohttp_server: AiohttpServer) -> AsyncIterator[Chain]:
    clock = ManualClock()
    sandbox = await start_sandbox(
        aiohttp_server,
        clock,
        SandboxSettings(
            allow_http_callbacks=True,
            webhook_signing_secret=SIGNING_SECRET,
            webhook_retry_delays=(0.01, 0.01, 0.01),
        ),
    )
    receiver = Receiver()
    receiver_app = web.Application()
    receiver_app.router.add_post("/hooks", receiver.handle)
    receiver_server = await aiohttp_server(receiver_app)
    receiver.url = str(receiver_server.make_url("/hooks"))
    port = free_port()
    settings = make_settings(
        sandbox.url,
        server={"public_url": f"http://127.0.0.1:{port}"},
        webhooks={"allow_http_callbacks": True, "allow_private_callback_hosts": True},
    )
    secrets = WebhookSecrets(relay_key=RELAY_KEY, default=SIGNING_SECRET)
    await aiohttp_server(create_app(settings, clock=clock, secrets=secrets), port=port)
    async with aiohttp.ClientSession() as session:
        yield Chain(sandbox, receiver, f"http://127.0.0.1:{port}", session, clock)


async def test_a_finished_task_reaches_the_legacy_receiver_as_job_completed(chain: Chain) -> None:
    job = await chain.start_task("A deck")
    [event] = await chain.events(1)
    assert event["type"] == "job.completed"
    assert event["api_version"] == "2026-04-12"
    assert event["id"].startswith("evt_")
    JobResponse.model_validate(event["data"])
    assert (event["data"]["job_id"], event["data"]["status"]) == (job["job_id"], "completed")


async def test_a_pre_versioning_job_reaches_its_receiver_with_bare_ids(chain: Chain) -> None:
    body = {"prompt": "An ad", "callback_url": chain.receiver.url}
    headers = {"Authorization": LEGACY["Authorization"]}
    async with chain.session.post(f"{chain.proxy_url}/v1/jobs", json=body, headers=headers) as sent:
        assert sent.status == 202, await sent.text()
        job = await sent.json()
    [event] = await chain.events(1)
    assert (event["type"], event["api_version"]) == ("job.completed", "pre-versioning")
    assert (event["data"]["job_id"], event["data"]["status"]) == (job["job_id"], "completed")
    uuid.UUID(event["data"]["canvas_id"])


@pytest.mark.parametrize(
    ("prompt", "event_type", "status"),
    [
        ("x #fail", "job.failed", "failed"),
        ("x #dead", "job.dead_letter", "failed"),
    ],
)
async def test_failures_arrive_as_job_failed_or_dead_letter(
    chain: Chain, prompt: str, event_type: str, status: str
) -> None:
    await chain.start_task(prompt)
    [event] = await chain.events(1)
    assert (event["type"], event["data"]["status"]) == (event_type, status)


async def test_a_cancelled_task_arrives_as_job_cancelled(chain: Chain) -> None:
    job = await chain.start_task("x")
    async with chain.session.post(
        f"{chain.proxy_url}/v1/tasks/{job['job_id']}/cancel", headers=LEGACY
    ) as response:
        assert response.status == 200
    [event] = await chain.events(1)
    assert (event["type"], event["data"]["status"]) == ("job.cancelled", "cancelled")


async def test_a_receiver_that_fails_twice_still_gets_the_event_once(chain: Chain) -> None:
    chain.receiver.answers = [500, 503]
    await chain.start_task("x")
    events = await chain.events(1)
    assert len(events) == 1
    assert chain.receiver.attempts == 3


async def test_the_upstream_sees_only_the_relay_url(chain: Chain) -> None:
    await chain.start_task("x")
    await chain.events(1)
    delivered = chain.sandbox.calls
    assert any(method == "POST" and target == "/v1/tasks" for method, target in delivered)


async def _post_to_relay(chain: Chain, token: str, body: bytes, headers: dict[str, str]) -> int:
    url = f"{chain.proxy_url}/-/webhooks/relay/{token}"
    async with chain.session.post(url, data=body, headers=headers) as response:
        text = await response.text()
        assert "receiver says no" not in text
        return response.status


def _signed(body: bytes, timestamp: int, secret: str = SIGNING_SECRET) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Webhook-Timestamp": str(timestamp),
        "X-Webhook-Signature": sign(secret, timestamp, body),
    }


async def test_forged_tokens_bad_signatures_stale_timestamps_and_replays_never_reach_the_receiver(
    chain: Chain,
) -> None:
    await chain.start_task("x")
    [event] = await chain.events(1)
    attempts = chain.receiver.attempts
    fingerprint = credential_fingerprint(LEGACY["Authorization"])
    token = seal(RELAY_KEY, RelayTarget(chain.receiver.url, fingerprint, "2026-04-12"))
    forged = seal(b"someone else's key", RelayTarget(chain.receiver.url, None, "2026-04-12"))
    upstream_event = {
        "id": event["id"],
        "type": "task.succeeded",
        "created": "2026-11-01T12:00:00+00:00",
        "api_version": "2026-05-01",
        "data": {},
    }
    body = json.dumps(upstream_event).encode()
    now = int(chain.clock.wall().timestamp())

    assert await _post_to_relay(chain, forged, body, _signed(body, now)) == 404
    assert await _post_to_relay(chain, token + "x", body, _signed(body, now)) == 404
    assert await _post_to_relay(chain, token, body, _signed(body, now, "whsec_wrong")) == 401
    assert await _post_to_relay(chain, token, body, _signed(body, now - 3600)) == 401
    assert await _post_to_relay(chain, token, body, {"Content-Type": "application/json"}) == 401
    assert await _post_to_relay(chain, token, body, _signed(body, now)) == 200  # a replay: acked
    assert chain.receiver.attempts == attempts


def _posts(upstream: RecordingUpstream) -> list[Received]:
    """What the upstream was sent, without the reads of the task the relayed callback watches."""
    return [call for call in upstream.calls if call.method == "POST"]


async def test_callback_urls_are_checked_for_legacy_clients_and_left_alone_for_canonical_ones(
    aiohttp_server: AiohttpServer, start_proxy: ProxyFactory
) -> None:
    upstream = RecordingUpstream(answer(202, json.dumps(make_task()).encode()))
    server = await aiohttp_server(upstream.app())
    proxy = await start_proxy(str(server.make_url("")).rstrip("/"))
    canonical = {**LEGACY, "Moda-Version": "2026-05-01"}

    refused = await proxy.post(
        "/v1/tasks",
        json={"prompt": "x", "callback_url": "http://hooks.example.com"},
        headers=LEGACY,
    )
    assert refused.status == 422
    assert (await refused.json())["error"]["details"] == {
        "fields": [{"field": "body.callback_url", "code": "invalid_url"}]
    }
    assert upstream.calls == []

    relayed = await proxy.post(
        "/v1/tasks",
        json={"prompt": "x", "callback_url": "https://hooks.example.com/a"},
        headers=LEGACY,
    )
    assert relayed.status == 202
    sent = json.loads(_posts(upstream)[-1].body)
    assert sent["callback_url"].startswith("http://127.0.0.1:8080/-/webhooks/relay/")
    assert "hooks.example.com" not in sent["callback_url"]

    untouched = await proxy.post(
        "/v1/tasks",
        json={"prompt": "x", "callback_url": "https://hooks.example.com/a"},
        headers=canonical,
    )
    assert untouched.status == 202
    assert json.loads(_posts(upstream)[-1].body)["callback_url"] == "https://hooks.example.com/a"
