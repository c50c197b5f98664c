"""`Prefer: wait` held by the proxy, with a clock the tests move instead of sleeping."""

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient, AiohttpServer

from proxy.app import create_app
from proxy.keys import WAIT_HUB
from proxy.sandbox.settings import SandboxSettings
from tests.factories import make_task
from tests.fakes.clock import ManualClock
from tests.fakes.recording import RecordingUpstream
from tests.fakes.sandbox import RecordedSandbox, start_sandbox
from tests.integration.conftest import AUTH, CANONICAL, LEGACY, make_settings

Client = TestClient[web.Request, web.Application]
QUEUED, RUNNING = 2.0, 8.0


@pytest.fixture
def manual_clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def sandbox(aiohttp_server: AiohttpServer, manual_clock: ManualClock) -> RecordedSandbox:
    settings = SandboxSettings(queued_seconds=QUEUED, running_seconds=RUNNING)
    return await start_sandbox(aiohttp_server, manual_clock, settings)


@pytest.fixture
def start(
    aiohttp_client: AiohttpClient, manual_clock: ManualClock
) -> Callable[..., Awaitable[Client]]:
    async def start_proxy(upstream_url: str, **prefer_wait: Any) -> Client:
        settings = make_settings(upstream_url, prefer_wait=prefer_wait)
        return await aiohttp_client(create_app(settings, clock=manual_clock))

    return start_proxy


async def _timed(clock: ManualClock, request: Awaitable[Any]) -> tuple[Any, dict[str, Any], float]:
    started = clock.now()

    async def send() -> tuple[Any, dict[str, Any]]:
        response = await request
        return response, json.loads(await response.read())

    response, body = await clock.run(send())
    return response, body, clock.now() - started


async def test_a_task_finishing_inside_the_budget_answers_terminal_one_poll_after(
    sandbox: RecordedSandbox, start: Callable[..., Awaitable[Client]], manual_clock: ManualClock
) -> None:
    proxy = await start(sandbox.url)
    request = proxy.post("/v1/tasks", json={"prompt": "x"}, headers={**LEGACY, "Prefer": "wait=20"})
    response, job, elapsed = await _timed(manual_clock, request)
    assert (response.status, job["status"], job["is_terminal"]) == (200, "completed", True)
    assert QUEUED + RUNNING <= elapsed <= QUEUED + RUNNING + 3.0 * 1.1
    assert response.headers["Preference-Applied"] == "wait=20"
    assert "Prefer" in response.headers["Vary"]
    assert all("wait" not in target for target in sandbox.calls_to("/v1/tasks"))


async def test_a_task_outlasting_the_budget_answers_its_latest_state_at_the_budget(
    sandbox: RecordedSandbox, start: Callable[..., Awaitable[Client]], manual_clock: ManualClock
) -> None:
    proxy = await start(sandbox.url)
    request = proxy.post("/v1/tasks", json={"prompt": "x"}, headers={**LEGACY, "Prefer": "wait=5"})
    response, job, elapsed = await _timed(manual_clock, request)
    assert (response.status, job["status"], job["is_terminal"]) == (202, "running", False)
    assert 5 <= elapsed <= 5.5
    assert response.headers["Preference-Applied"] == "wait=5"


async def test_the_budget_is_capped_per_route(
    sandbox: RecordedSandbox, start: Callable[..., Awaitable[Client]], manual_clock: ManualClock
) -> None:
    proxy = await start(sandbox.url, max_seconds=4, route_max_seconds={"GET /v1/tasks/{id}": 2})
    created = await (await proxy.post("/v1/tasks", json={"prompt": "x"}, headers=LEGACY)).json()
    request = proxy.get(f"/v1/tasks/{created['job_id']}", headers={**LEGACY, "Prefer": "wait=600"})
    response, job, elapsed = await _timed(manual_clock, request)
    assert response.headers["Preference-Applied"] == "wait=2"
    assert 2 <= elapsed <= 2.5
    assert job["is_terminal"] is False


async def test_a_canonical_client_waits_too_and_gets_the_canonical_envelope(
    sandbox: RecordedSandbox, start: Callable[..., Awaitable[Client]], manual_clock: ManualClock
) -> None:
    proxy = await start(sandbox.url)
    request = proxy.post(
        "/v1/tasks", json={"prompt": "x"}, headers={**CANONICAL, "Prefer": "wait=20"}
    )
    response, task, _ = await _timed(manual_clock, request)
    assert (response.status, task["status"]) == (200, "succeeded")
    assert response.headers["Moda-Version"] == "2026-05-01"


@pytest.mark.parametrize(
    "prefer", [["wait=abc"], ["wait=-3"], ["wait"], ["wait=1.5"], ["respond-async"]]
)
async def test_a_malformed_or_absent_wait_is_ignored(
    sandbox: RecordedSandbox, start: Callable[..., Awaitable[Client]], prefer: list[str]
) -> None:
    proxy = await start(sandbox.url)
    headers = [*LEGACY.items(), *(("Prefer", value) for value in prefer)]
    response = await proxy.post("/v1/tasks", json={"prompt": "x"}, headers=headers)
    assert response.status == 202
    assert "Preference-Applied" not in response.headers
    assert (await response.json())["status"] == "queued"


async def test_wait_is_found_among_other_preferences_and_headers(
    sandbox: RecordedSandbox, start: Callable[..., Awaitable[Client]], manual_clock: ManualClock
) -> None:
    proxy = await start(sandbox.url)
    headers = [
        *LEGACY.items(),
        ("Prefer", "respond-async"),
        ("Prefer", 'handling=lenient,  WAIT = "3" '),
    ]
    response, _, elapsed = await _timed(
        manual_clock, proxy.post("/v1/tasks", json={"prompt": "x"}, headers=headers)
    )
    assert response.headers["Preference-Applied"] == "wait=3"
    assert 3 <= elapsed <= 3.5


async def _upstream_gets_for(
    proxy: Client, sandbox: RecordedSandbox, clock: ManualClock, waiters: int
) -> int:
    created = await (await proxy.post("/v1/tasks", json={"prompt": "x"}, headers=LEGACY)).json()
    path = f"/v1/tasks/{created['job_id']}"
    before = len(sandbox.calls_to(path))

    async def wait_once() -> str:
        response = await proxy.get(path, headers={**LEGACY, "Prefer": "wait=20"})
        return str((await response.json())["status"])

    statuses = await clock.run(asyncio.gather(*(wait_once() for _ in range(waiters))))
    assert set(statuses) == {"completed"}
    return len(sandbox.calls_to(path)) - before


async def test_a_hundred_waiters_on_one_task_cause_the_polls_of_one(
    sandbox: RecordedSandbox, start: Callable[..., Awaitable[Client]], manual_clock: ManualClock
) -> None:
    proxy = await start(sandbox.url, poll_jitter_ratio=0)
    alone = await _upstream_gets_for(proxy, sandbox, manual_clock, 1)
    crowd = await _upstream_gets_for(proxy, sandbox, manual_clock, 100)
    assert alone >= 2
    assert crowd == alone
    assert proxy.app[WAIT_HUB].watched_tasks == 0


async def test_a_client_that_goes_away_stops_waiting_and_the_poll_loop_stops(
    sandbox: RecordedSandbox, start: Callable[..., Awaitable[Client]], manual_clock: ManualClock
) -> None:
    proxy = await start(sandbox.url)
    hub = proxy.app[WAIT_HUB]
    request = asyncio.ensure_future(
        proxy.post("/v1/tasks", json={"prompt": "x"}, headers={**LEGACY, "Prefer": "wait=20"})
    )
    await manual_clock.advance(1)
    assert (hub.stats.waiters, hub.watched_tasks) == (1, 1)
    request.cancel()
    for _ in range(100):
        await asyncio.sleep(0.01)
        if hub.stats.waiters == 0:
            break
    assert (hub.stats.waiters, hub.watched_tasks) == (0, 0)


async def test_a_poll_failing_in_between_does_not_fail_the_wait(
    aiohttp_server: AiohttpServer,
    start: Callable[..., Awaitable[Client]],
    manual_clock: ManualClock,
) -> None:
    answers = [
        (202, make_task(status="queued", retry_after_ms=1000)),
        (503, {"error": {"type": "upstream_error", "code": "busy", "message": "busy"}}),
        (200, make_task(status="running", retry_after_ms=1000)),
        (200, make_task(status="succeeded", retry_after_ms=None, result={"canvas_id": "cvs_1"})),
    ]

    async def respond(request: web.Request, body: bytes) -> web.StreamResponse:
        status, document = answers.pop(0)
        return web.json_response(document, status=status)

    upstream = RecordingUpstream(respond)
    server = await aiohttp_server(upstream.app())
    proxy = await start(str(server.make_url("")).rstrip("/"))
    request = proxy.post("/v1/tasks", json={"prompt": "x"}, headers={**LEGACY, "Prefer": "wait=20"})
    response, job, _ = await _timed(manual_clock, request)
    assert (response.status, job["status"], job["canvas_id"]) == (200, "completed", "cvs_1")
    assert answers == []


async def test_an_upstream_error_on_the_first_answer_is_returned_at_once(
    aiohttp_server: AiohttpServer, start: Callable[..., Awaitable[Client]]
) -> None:
    async def respond(request: web.Request, body: bytes) -> web.StreamResponse:
        return web.json_response(
            {"error": {"type": "rate_limited"}}, status=429, headers={"Retry-After": "30"}
        )

    server = await aiohttp_server(RecordingUpstream(respond).app())
    proxy = await start(str(server.make_url("")).rstrip("/"))
    response = await proxy.post(
        "/v1/tasks", json={"prompt": "x"}, headers={**AUTH, "Prefer": "wait=20"}
    )
    assert (response.status, response.headers["Retry-After"]) == (429, "30")
