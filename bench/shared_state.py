"""Upstream cost of two replicas with `memory` state versus one shared Redis (`redis`).

Run from the project root (needs `redis-server` on PATH: `apt-get install redis-server`):

    .venv/bin/python -m bench.shared_state [--items 1000] [--waiters 200] [--events 100]

Everything runs on 127.0.0.1: the sandbox Moda API and two proxy replicas in this process, and a
redis-server this script starts on a free port and stops at the end. For each backend it reports:
- upstream requests per legacy page while one client reads a list 20 at a time, alternating
  between the replicas (pages after the first; the first also counts the list);
- upstream polls while `--waiters` clients, half on each replica, wait on one task (Prefer: wait);
- webhook events delivered twice when each is relayed by one replica and replayed to the other;
- team-id look-ups (`/v1/whoami`) when a brand-kit list is read through both replicas;
- the median latency of a legacy page, to show what a Redis round trip costs.
"""

import argparse
import asyncio
import contextlib
import statistics
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson
from aiohttp import web
from aiohttp.typedefs import Handler

from bench.loopback import serve
from bench.redis_server import running_redis
from proxy.app import create_app
from proxy.clock import SystemClock
from proxy.config import settings_from
from proxy.core.credentials import credential_fingerprint
from proxy.core.relay import RelayTarget, seal
from proxy.core.signing import sign
from proxy.sandbox.app import SANDBOX_STATE, create_sandbox_app
from proxy.sandbox.settings import SandboxSettings
from proxy.secrets import WebhookSecrets

TOKEN = "moda_live_bench_shared"
LEGACY = {"Authorization": f"Bearer {TOKEN}", "Moda-Version": "2026-04-12"}
SECRET = "whsec_bench"
RELAY_KEY = b"bench relay key"
SEEDED = 45


@dataclass
class Setup:
    upstream_calls: Counter[str]
    replicas: tuple[str, str]
    receiver_url: str
    delivered: Counter[str]


def _sandbox(calls: Counter[str], items: int) -> web.Application:
    app = create_sandbox_app(
        SandboxSettings(queued_seconds=1, running_seconds=3, max_active_tasks=1000), SystemClock()
    )
    app[SANDBOX_STATE].account(TOKEN).add_canvases(items - SEEDED)

    @web.middleware
    async def count(request: web.Request, handler: Handler) -> web.StreamResponse:
        calls[request.path] += 1
        return await handler(request)

    app.middlewares.insert(0, count)
    return app


def _receiver(delivered: Counter[str]) -> web.Application:
    async def receive(request: web.Request) -> web.Response:
        delivered[orjson.loads(await request.read())["id"]] += 1
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hooks", receive)
    return app


@contextlib.asynccontextmanager
async def _setup(backend: str, redis_url: str, items: int) -> AsyncIterator[Setup]:
    calls: Counter[str] = Counter()
    delivered: Counter[str] = Counter()
    runners: list[web.AppRunner] = []
    try:
        sandbox, sandbox_url = await serve(_sandbox(calls, items))
        receiver, receiver_url = await serve(_receiver(delivered))
        runners += [sandbox, receiver]
        settings = settings_from(
            {
                "upstream": {"url": sandbox_url},
                "server": {"public_url": "http://127.0.0.1:8080"},
                "state": {"backend": backend, "redis_url": redis_url},
                "logging": {"access_log": False},
            }
        )
        secrets = WebhookSecrets(relay_key=RELAY_KEY, default=SECRET)
        urls = []
        for _ in range(2):
            runner, url = await serve(create_app(settings, secrets=secrets))
            runners.append(runner)
            urls.append(url)
        yield Setup(calls, (urls[0], urls[1]), f"{receiver_url}/hooks", delivered)
    finally:
        for runner in reversed(runners):
            await runner.cleanup()


async def _json(response: aiohttp.ClientResponse) -> dict[str, Any]:
    response.raise_for_status()
    document: dict[str, Any] = await response.json()
    return document


async def _pages(session: aiohttp.ClientSession, setup: Setup, items: int) -> tuple[float, float]:
    """Upstream requests per page after the first, and the median page latency in ms."""
    first, second = setup.replicas
    async with session.get(f"{first}/v1/canvases?limit=20", headers=LEGACY) as response:
        assert (await _json(response))["total"] == items
    before = setup.upstream_calls["/v1/canvases"]
    latencies, pages = [], 0
    for number, offset in enumerate(range(20, items, 20)):
        replica = (second, first)[number % 2]
        started = time.perf_counter()
        url = f"{replica}/v1/canvases?offset={offset}&limit=20"
        async with session.get(url, headers=LEGACY) as response:
            page = await _json(response)
        latencies.append((time.perf_counter() - started) * 1000)
        assert (page["total"], page["offset"]) == (items, offset)
        pages += 1
    return (setup.upstream_calls["/v1/canvases"] - before) / pages, statistics.median(latencies)


async def _polls(session: aiohttp.ClientSession, setup: Setup, waiters: int) -> int:
    first, second = setup.replicas
    async with session.post(f"{first}/v1/tasks", json={"prompt": "x"}, headers=LEGACY) as response:
        path = f"/v1/tasks/{(await _json(response))['job_id']}"
    before = setup.upstream_calls[path]

    async def wait(replica: str) -> str:
        headers = {**LEGACY, "Prefer": "wait=20"}
        async with session.get(f"{replica}{path}", headers=headers) as response:
            return str((await _json(response))["status"])

    statuses = await asyncio.gather(*(wait((first, second)[n % 2]) for n in range(waiters)))
    assert set(statuses) == {"completed"}, Counter(statuses)
    return setup.upstream_calls[path] - before - waiters


async def _duplicates(session: aiohttp.ClientSession, setup: Setup, events: int) -> int:
    fingerprint = credential_fingerprint(LEGACY["Authorization"])
    token = seal(RELAY_KEY, RelayTarget(setup.receiver_url, fingerprint, "2026-04-12"))
    task = {"id": "task_01HT9WK8N3M2J4A5Z6P7Q8R9TV", "kind": "design", "status": "canceled"}
    for number in range(events):
        body = orjson.dumps({"id": f"evt_{number}", "type": "task.canceled", "data": task})
        for replica in setup.replicas:  # delivered by one, replayed to the other
            timestamp = int(time.time())
            headers = {
                "X-Webhook-Timestamp": str(timestamp),
                "X-Webhook-Signature": sign(SECRET, timestamp, body),
            }
            url = f"{replica}/-/webhooks/relay/{token}"
            async with session.post(url, data=body, headers=headers) as response:
                response.raise_for_status()
    return sum(count - 1 for count in setup.delivered.values())


async def _team_lookups(session: aiohttp.ClientSession, setup: Setup) -> int:
    for replica in setup.replicas * 2:
        async with session.get(f"{replica}/v1/brand-kits", headers=LEGACY) as response:
            await _json(response)
    return setup.upstream_calls["/v1/whoami"]


async def _measure(args: argparse.Namespace) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    async with running_redis() as redis_url:
        for backend in ("memory", "redis"):
            async with (
                _setup(backend, redis_url, args.items) as setup,
                aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session,
            ):
                per_page, latency = await _pages(session, setup, args.items)
                results[backend] = {
                    "per_page": per_page,
                    "latency": latency,
                    "polls": await _polls(session, setup, args.waiters),
                    "duplicates": await _duplicates(session, setup, args.events),
                    "team_lookups": await _team_lookups(session, setup),
                }
    return results


def _report(args: argparse.Namespace, results: dict[str, dict[str, float]]) -> None:
    memory, redis = results["memory"], results["redis"]
    rows = [
        (f"upstream requests per page ({args.items} items, 2 replicas)", "per_page", "{:.3f}"),
        (f"upstream polls, {args.waiters} waiters on 1 task over 2", "polls", "{:.0f}"),
        (f"webhooks delivered twice of {args.events} replayed", "duplicates", "{:.0f}"),
        ("team look-ups for 4 brand-kit lists over 2", "team_lookups", "{:.0f}"),
        ("median legacy page latency (ms)", "latency", "{:.2f}"),
    ]
    print(f"{'two replicas':<54} {'memory':>10} {'redis':>10}")
    for label, key, form in rows:
        print(f"{label:<54} {form.format(memory[key]):>10} {form.format(redis[key]):>10}")
    checks = [
        ("redis: one upstream request per page", redis["per_page"] <= 1.05),
        ("redis: one poll stream for all waiters", redis["polls"] <= memory["polls"] / 2 + 1),
        ("redis: no webhook delivered twice", redis["duplicates"] == 0),
    ]
    for label, passed in checks:
        print(f"{label:<54} {'PASS' if passed else 'FAIL':>21}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--waiters", type=int, default=200)
    parser.add_argument("--events", type=int, default=100)
    args = parser.parse_args()
    _report(args, asyncio.run(_measure(args)))


if __name__ == "__main__":
    main()
