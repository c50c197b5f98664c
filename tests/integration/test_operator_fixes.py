"""Defects an operator tripped over running the proxy as a new user (issue 14), one test each."""

import asyncio
import gzip
import json

import pytest
from multidict import CIMultiDict
from prometheus_client import generate_latest
from pytest_aiohttp import AiohttpServer

from proxy.keys import REGISTRY
from tests.factories import make_task
from tests.fakes.recording import RecordingUpstream, answer
from tests.integration.conftest import AUTH, CANONICAL, LEGACY, ProxyClient, ProxyFactory

SUNSET_HEADERS = ("Deprecation", "Sunset", "Link")


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


async def _raw_answer(proxy: ProxyClient, head: bytes) -> tuple[int, CIMultiDict[str]]:
    """Sends a head as bytes, so no client library tidies its target; the status and headers."""
    assert proxy.port is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    writer.write(head)
    await writer.drain()
    lines = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)).decode()
    writer.close()
    await writer.wait_closed()
    status_line, *fields = lines.strip().split("\r\n")
    headers: CIMultiDict[str] = CIMultiDict()
    for field in fields:
        name, value = field.split(": ", 1)
        headers.add(name, value)
    return int(status_line.split(" ")[1]), headers


def _head(method: str, target: str, headers: dict[str, str]) -> bytes:
    fields = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return f"{method} {target} HTTP/1.1\r\nHost: x\r\n{fields}Connection: close\r\n\r\n".encode()


@pytest.mark.parametrize(
    ("method", "target", "status"),
    [
        ("GET", "/v1/../v1/credits", 400),
        ("GET", "/v1/%2e%2e/credits", 400),
        ("CONNECT", "x:443", 405),
    ],
)
@pytest.mark.parametrize("asked", [LEGACY, AUTH], ids=["legacy", "default-version"])
async def test_the_proxys_own_refusals_to_legacy_clients_carry_the_sunset_headers(
    start_proxy: ProxyFactory, method: str, target: str, status: int, asked: dict[str, str]
) -> None:
    proxy = await start_proxy()
    answered, headers = await _raw_answer(proxy, _head(method, target, asked))
    assert (answered, headers["Moda-Version"]) == (status, "2026-04-12")
    assert headers["Deprecation"] == "@1777593600"
    assert headers["Sunset"] == "Tue, 12 May 2026 00:00:00 GMT"
    assert 'rel="successor-version"' in headers["Link"]


async def test_a_refusal_to_a_canonical_client_names_its_version_and_no_sunset(
    start_proxy: ProxyFactory,
) -> None:
    proxy = await start_proxy()
    answered, headers = await _raw_answer(proxy, _head("GET", "/v1/../v1/credits", CANONICAL))
    assert (answered, headers["Moda-Version"]) == (400, "2026-05-01")
    assert not any(name in headers for name in SUNSET_HEADERS)


async def test_every_version_is_labelled_by_route_and_unknown_paths_stay_unmatched(
    start_proxy: ProxyFactory, access_lines: list[bytes]
) -> None:
    proxy = await start_proxy()
    created = await (await proxy.post("/v1/tasks", json={"prompt": "x"}, headers=CANONICAL)).json()
    await proxy.get(f"/v1/tasks/{created['id']}", headers=CANONICAL)
    await proxy.get("/v1/credits", headers=CANONICAL)
    await proxy.get("/v1/credits", headers=LEGACY)
    await proxy.get("/v1/no-such-thing/42", headers=CANONICAL)

    routes = [(line["version"], line["route"]) for line in map(json.loads, access_lines)]
    assert routes == [
        ("2026-05-01", "POST /v1/tasks"),
        ("2026-05-01", "GET /v1/tasks/{id}"),
        ("2026-05-01", "GET /v1/credits"),
        ("2026-04-12", "GET /v1/credits"),
        ("2026-05-01", "unmatched"),
    ]
    metrics = generate_latest(proxy.app[REGISTRY]).decode()
    assert (
        'proxy_requests_total{route="POST /v1/tasks",status_class="2xx",version="2026-05-01"}'
        in (metrics)
    )
    assert 'route="unmatched",status_class="4xx",version="2026-05-01"} 1.0' in metrics
