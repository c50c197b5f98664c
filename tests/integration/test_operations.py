"""What operators see: metrics caused by real traffic, probes, sunset headers, access log lines."""

import json

from aiohttp import web
from aiohttp.test_utils import TestClient
from prometheus_client import CollectorRegistry
from pytest_aiohttp import AiohttpClient, AiohttpServer

from proxy.app import create_admin_app, create_app
from proxy.keys import PROXY_APP, READINESS
from tests.factories import make_task
from tests.fakes.clock import FakeClock
from tests.fakes.faulty import free_port_url
from tests.fakes.recording import RecordingUpstream, answer
from tests.integration.conftest import AUTH, CANONICAL, LEGACY, ProxyFactory, make_settings

Client = TestClient[web.Request, web.Application]


async def _pair(
    aiohttp_client: AiohttpClient, upstream_url: str = "sandbox", **sections: dict[str, object]
) -> tuple[Client, Client]:
    settings = make_settings(upstream_url, **sections)
    proxy_app = create_app(settings, clock=FakeClock(), registry=CollectorRegistry())
    proxy = await aiohttp_client(proxy_app)
    admin = await aiohttp_client(create_admin_app(proxy_app))
    return proxy, admin


def _sample(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    prefix = f"{name}{{{wanted}}} " if labels else f"{name} "
    for line in text.splitlines():
        if line.startswith(prefix):
            return float(line.split(" ")[-1])
    return 0.0


async def test_metrics_count_the_traffic_that_caused_them(aiohttp_client: AiohttpClient) -> None:
    proxy, admin = await _pair(aiohttp_client)
    for _ in range(3):
        await proxy.post("/v1/tasks", json={"prompt": "x"}, headers=LEGACY)
    await proxy.get("/v1/canvases?limit=5", headers=LEGACY)
    await proxy.get("/v1/canvases?offset=5&limit=5", headers=LEGACY)
    await proxy.get("/v1/credits", headers=CANONICAL)
    await proxy.get("/v1/credits", headers={**AUTH, "Moda-Version": "1999-01-01"})

    text = await (await admin.get("/-/metrics")).text()

    assert (
        _sample(
            text,
            "proxy_requests_total",
            version="2026-04-12",
            route="POST /v1/tasks",
            status_class="2xx",
        )
        == 3
    )
    assert (
        _sample(
            text,
            "proxy_requests_total",
            version="2026-05-01",
            route="GET /v1/credits",
            status_class="2xx",
        )
        == 1
    )
    assert (
        _sample(text, "proxy_requests_total", version="none", route="unmatched", status_class="4xx")
        == 1
    )
    assert _sample(text, "proxy_unsupported_version_rejections_total") == 1
    assert (
        _sample(
            text,
            "proxy_translation_duration_seconds_count",
            version="2026-04-12",
            route="POST /v1/tasks",
        )
        == 3
    )
    assert _sample(text, "proxy_cache_events_total", cache="pagination", event="misses") == 1
    assert _sample(text, "proxy_cache_events_total", cache="pagination", event="hits") == 1
    assert _sample(text, "proxy_pagination_upstream_pages_total", route="GET /v1/canvases") >= 2
    legacy_clients = [
        line for line in text.splitlines() if line.startswith("proxy_legacy_requests_total{")
    ]
    assert len(legacy_clients) == 1
    assert legacy_clients[0].endswith(" 5.0")
    assert "moda_live" not in text


async def test_translation_failures_are_counted_by_change(
    aiohttp_client: AiohttpClient, aiohttp_server: AiohttpServer
) -> None:
    upstream = RecordingUpstream(answer(200, json.dumps(make_task(status="paused")).encode()))
    server = await aiohttp_server(upstream.app())
    proxy, admin = await _pair(aiohttp_client, str(server.make_url("")).rstrip("/"))
    assert (await proxy.get("/v1/tasks/task_1", headers=LEGACY)).status == 502
    text = await (await admin.get("/-/metrics")).text()
    assert (
        _sample(text, "proxy_translation_failures_total", change="flatten_task_envelope_into_job")
        == 1
    )


async def test_legacy_answers_carry_sunset_signals_and_canonical_ones_do_not(
    aiohttp_client: AiohttpClient,
) -> None:
    proxy, _ = await _pair(aiohttp_client)
    legacy = await proxy.get("/v1/credits", headers=LEGACY)
    assert legacy.headers["Deprecation"] == "@1777593600"
    assert legacy.headers["Sunset"] == "Tue, 12 May 2026 00:00:00 GMT"
    assert 'rel="successor-version"' in legacy.headers["Link"]
    canonical = await proxy.get("/v1/credits", headers=CANONICAL)
    assert "Deprecation" not in canonical.headers
    quiet, _ = await _pair(aiohttp_client, deprecation={"enabled": False})
    assert "Sunset" not in (await quiet.get("/v1/credits", headers=LEGACY)).headers


async def test_readiness_follows_the_upstream_and_turns_false_when_draining(
    aiohttp_client: AiohttpClient,
) -> None:
    _, admin = await _pair(aiohttp_client)
    assert (await admin.get("/-/healthz")).status == 200
    assert (await admin.get("/-/readyz")).status == 200
    admin.app[PROXY_APP][READINESS].draining = True
    assert (await admin.get("/-/readyz")).status == 503
    _, down = await _pair(aiohttp_client, free_port_url())
    assert (await down.get("/-/readyz")).status == 503
    assert (await down.get("/-/healthz")).status == 200


async def test_each_request_writes_one_json_access_line_without_credentials(
    start_proxy: ProxyFactory, access_lines: list[bytes]
) -> None:
    proxy = await start_proxy()
    await proxy.post(
        "/v1/tasks", json={"prompt": "secret prompt"}, headers={**LEGACY, "X-Request-ID": "rid-1"}
    )
    [raw] = access_lines
    line = json.loads(raw)
    assert raw.endswith(b"\n")
    assert (line["logger"], line["request_id"]) == ("proxy.access", "rid-1")
    assert (line["route"], line["version"], line["status"]) == ("POST /v1/tasks", "2026-04-12", 202)
    assert line["changes"] == ["flatten_task_envelope_into_job", "rename_task_statuses"]
    assert line["duration_ms"] >= line["upstream_ms"] > 0
    assert b"moda_live" not in raw
    assert b"secret prompt" not in raw
