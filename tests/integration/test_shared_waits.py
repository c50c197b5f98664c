"""Waiters on one task share its watch from the first GET on: N of them cost what one costs."""

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
from tests.fakes.clock import ManualClock
from tests.fakes.recording import RecordingUpstream, answer
from tests.fakes.sandbox import RecordedSandbox, start_sandbox
from tests.integration.conftest import CANONICAL, LEGACY, make_settings

Client = TestClient[web.Request, web.Application]
WAIT = {"Prefer": "wait=30"}


@pytest.fixture
def manual_clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def sandbox(aiohttp_server: AiohttpServer, manual_clock: ManualClock) -> RecordedSandbox:
    settings = SandboxSettings(queued_seconds=2, running_seconds=8)
    return await start_sandbox(aiohttp_server, manual_clock, settings)


@pytest.fixture
def start(
    aiohttp_client: AiohttpClient, manual_clock: ManualClock
) -> Callable[[str], Awaitable[Client]]:
    async def start_proxy(upstream_url: str) -> Client:
        settings = make_settings(upstream_url, prefer_wait={"poll_jitter_ratio": 0})
        return await aiohttp_client(create_app(settings, clock=manual_clock))

    return start_proxy


async def _wait_together(
    proxy: Client, clock: ManualClock, path: str, headers: list[dict[str, str]]
) -> list[tuple[int, dict[str, Any], str]]:
    async def wait_once(sent: dict[str, str]) -> tuple[int, dict[str, Any], str]:
        response = await proxy.get(path, headers={**sent, **WAIT})
        return response.status, json.loads(await response.read()), response.headers["X-Request-ID"]

    return await clock.run(asyncio.gather(*(wait_once(sent) for sent in headers)))


async def _upstream_gets_for(
    proxy: Client, sandbox: RecordedSandbox, clock: ManualClock, waiters: int
) -> int:
    created = await (await proxy.post("/v1/tasks", json={"prompt": "x"}, headers=LEGACY)).json()
    path = f"/v1/tasks/{created['job_id']}"
    answers = await _wait_together(proxy, clock, path, [LEGACY] * waiters)
    assert {(status, job["status"]) for status, job, _ in answers} == {(200, "completed")}
    return len(sandbox.calls_to(path))


async def test_thirty_waiters_cost_the_upstream_gets_of_one_first_request_included(
    sandbox: RecordedSandbox, start: Callable[[str], Awaitable[Client]], manual_clock: ManualClock
) -> None:
    proxy = await start(sandbox.url)
    alone = await _upstream_gets_for(proxy, sandbox, manual_clock, 1)
    crowd = await _upstream_gets_for(proxy, sandbox, manual_clock, 30)
    assert alone >= 3  # the first GET and the polls until the task settled
    assert crowd == alone
    assert proxy.app[WAIT_HUB].watched_tasks == 0


async def test_waiters_of_both_versions_share_one_watch_and_keep_their_own_request_ids(
    sandbox: RecordedSandbox, start: Callable[[str], Awaitable[Client]], manual_clock: ManualClock
) -> None:
    proxy = await start(sandbox.url)
    created = await (await proxy.post("/v1/tasks", json={"prompt": "x"}, headers=LEGACY)).json()
    path = f"/v1/tasks/{created['job_id']}"
    await _wait_together(proxy, manual_clock, path, [LEGACY])  # until the task settled
    before = len(sandbox.calls_to(path))
    headers = [
        {**LEGACY, "X-Request-ID": "legacy-rid"},
        {**CANONICAL, "X-Request-ID": "canonical-rid"},
        LEGACY,
        LEGACY,
    ]
    answers = await _wait_together(proxy, manual_clock, path, headers)
    assert len(sandbox.calls_to(path)) - before == 1  # a settled task: one GET for all four
    (_, job, legacy_id), (_, task, canonical_id), (_, _, third), (_, _, fourth) = answers
    assert (job["status"], task["status"]) == ("completed", "succeeded")
    assert (legacy_id, canonical_id) == ("legacy-rid", "canonical-rid")
    assert len({legacy_id, canonical_id, third, fourth}) == 4


async def test_an_error_on_the_shared_first_get_reaches_every_waiter_and_is_not_kept(
    aiohttp_server: AiohttpServer,
    start: Callable[[str], Awaitable[Client]],
    manual_clock: ManualClock,
) -> None:
    missing = b'{"error":{"type":"not_found","code":"not_found","message":"No such task."}}'
    upstream = RecordingUpstream(answer(404, missing))
    server = await aiohttp_server(upstream.app())
    proxy = await start(str(server.make_url("")).rstrip("/"))
    answers = await _wait_together(proxy, manual_clock, "/v1/tasks/task_gone", [LEGACY] * 5)
    assert [status for status, _, _ in answers] == [404] * 5
    assert len(upstream.calls) == 1
    await _wait_together(proxy, manual_clock, "/v1/tasks/task_gone", [LEGACY])
    assert len(upstream.calls) == 2
    assert proxy.app[WAIT_HUB].watched_tasks == 0
