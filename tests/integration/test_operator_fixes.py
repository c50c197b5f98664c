"""Defects an operator tripped over running the proxy as a new user (issue 14), one test each."""

import gzip
import json

from pytest_aiohttp import AiohttpServer

from tests.factories import make_task
from tests.fakes.recording import RecordingUpstream, answer
from tests.integration.conftest import LEGACY, ProxyFactory


async def _upstream_url(aiohttp_server: AiohttpServer, upstream: RecordingUpstream) -> str:
    server = await aiohttp_server(upstream.app())
    return str(server.make_url("")).rstrip("/")


async def test_a_gzip_bomb_is_refused_without_inflating_it(
    aiohttp_server: AiohttpServer, start_proxy: ProxyFactory
) -> None:
    # Valid JSON once inflated (a task padded with whitespace), 4 MiB from a few KiB on the wire.
    inflated = json.dumps(make_task()).encode() + b" " * (4 * 1024 * 1024)
    bomb = gzip.compress(inflated)
    assert len(bomb) < 64 * 1024
    upstream = RecordingUpstream(answer(200, bomb, {"Content-Encoding": "gzip"}))
    proxy = await start_proxy(
        await _upstream_url(aiohttp_server, upstream),
        server={"max_translated_body_bytes": 64 * 1024},
    )
    response = await proxy.get("/v1/tasks/task_1", headers=LEGACY)
    assert response.status == 502
    error = (await response.json())["error"]
    assert (error["code"], error["details"]) == (
        "upstream_invalid_response",
        {"upstream_status": 200},
    )


async def test_a_truncated_gzip_body_is_corrupt(
    aiohttp_server: AiohttpServer, start_proxy: ProxyFactory
) -> None:
    cut = gzip.compress(json.dumps(make_task()).encode())[:-12]
    upstream = RecordingUpstream(answer(200, cut, {"Content-Encoding": "gzip"}))
    proxy = await start_proxy(await _upstream_url(aiohttp_server, upstream))
    response = await proxy.get("/v1/tasks/task_1", headers=LEGACY)
    assert response.status == 502
    assert (await response.json())["error"]["code"] == "upstream_invalid_response"
