"""The supervisor's admin listener: the one on `admin.listen`, answering for all its workers.

- `/-/healthz`: 200 while the supervisor runs, with each worker's pid, state and restarts.
- `/-/readyz`: 503 while draining; else 200 when every serving worker's own `/-/readyz` is 200
  (and at least one serves), each worker's own answer included as its `detail`.
- `/-/metrics`: every worker's metrics with a `worker` label, plus the supervisor's own.
- `/-/versions`: the changelog, from the proxy app the supervisor validated (as a worker's).
- `/-/clients`: the migration report of all workers (proxy.workers.clients).

A worker that does not answer within a few seconds counts as not ready and its metrics are left
out of that scrape (`proxy_worker_up` says so): an admin request never hangs on a stuck worker.
"""

import asyncio
import json
import os
from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass
from typing import Any, Final

import aiohttp
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from proxy.keys import PROXY_APP, SETTINGS
from proxy.server.middlewares import envelope_errors
from proxy.server.ops import versions
from proxy.workers.clients import forget_everywhere, merged_clients
from proxy.workers.exposition import merge, parse, render
from proxy.workers.pool import Worker, WorkerPool

# Above the 2 s a worker's readiness may spend probing the upstream.
WORKER_TIMEOUT_SECONDS: Final = 3.0


@dataclass
class Supervision:
    pool: WorkerPool
    draining: bool = False


SUPERVISION: Final = web.AppKey("supervision", Supervision)
_WORKER_SESSION: Final = web.AppKey("worker_session", aiohttp.ClientSession)


async def _ask(request: web.Request, worker: Worker, path: str) -> tuple[int, bytes] | None:
    """A worker admin app's answer, or None when it gave none in time."""
    if worker.admin_url is None:
        return None
    session = request.app[_WORKER_SESSION]
    try:
        async with asyncio.timeout(WORKER_TIMEOUT_SECONDS):
            async with session.get(worker.admin_url + path) as response:
                return response.status, await response.read()
    except (aiohttp.ClientError, TimeoutError):
        return None


def _describe(worker: Worker) -> dict[str, Any]:
    return {"worker": worker.index, "pid": worker.pid, "state": worker.state}


async def healthz(request: web.Request) -> web.Response:
    pool = request.app[SUPERVISION].pool
    workers = [
        {**_describe(worker), "restarts": worker.restarts, "admin_url": worker.admin_url}
        for worker in pool.workers
    ]
    return web.json_response(
        {"status": "ok", "pid": os.getpid(), "restarts": pool.restarts, "workers": workers}
    )


async def _readiness(request: web.Request, worker: Worker) -> dict[str, Any]:
    described = _describe(worker)
    if worker.state != "serving":
        return described
    answer = await _ask(request, worker, "/-/readyz")
    if answer is None:
        return {**described, "ready": False, "error": "no answer from the worker"}
    status, body = answer
    try:
        detail: Any = json.loads(body)
    except ValueError:
        detail = body.decode(errors="replace")
    return {**described, "ready": status == 200, "status": status, "detail": detail}


async def readyz(request: web.Request) -> web.Response:
    supervision = request.app[SUPERVISION]
    if supervision.draining:
        return web.json_response({"status": "draining"}, status=503)
    workers = await asyncio.gather(
        *(_readiness(request, worker) for worker in supervision.pool.workers)
    )
    serving = [worker for worker in workers if worker["state"] == "serving"]
    ready = bool(serving) and all(worker["ready"] for worker in serving)
    return web.json_response(
        {"status": "ready" if ready else "not ready", "workers": workers},
        status=200 if ready else 503,
    )


def _supervisor_families(pool: WorkerPool, scraped: Collection[int]) -> list[Metric]:
    serving = GaugeMetricFamily(
        "proxy_workers",
        "Worker processes serving right now.",
        value=sum(worker.state == "serving" for worker in pool.workers),
    )
    restarts = CounterMetricFamily(
        "proxy_worker_restarts",
        "Replacement processes started for a worker that exited.",
        labels=["worker"],
    )
    up = GaugeMetricFamily(
        "proxy_worker_up",
        "1 when this scrape includes the worker's own metrics, else 0.",
        labels=["worker"],
    )
    for worker in pool.workers:
        restarts.add_metric([str(worker.index)], worker.restarts)
        up.add_metric([str(worker.index)], 1.0 if worker.index in scraped else 0.0)
    return [serving, restarts, up]


async def _families(request: web.Request, worker: Worker) -> list[Metric] | None:
    answer = await _ask(request, worker, "/-/metrics")
    if answer is None or answer[0] != 200:
        return None
    try:
        return parse(answer[1].decode(errors="replace"))
    except ValueError:
        return None


async def metrics(request: web.Request) -> web.Response:
    pool = request.app[SUPERVISION].pool
    serving = [worker for worker in pool.workers if worker.state == "serving"]
    answers = await asyncio.gather(*(_families(request, worker) for worker in serving))
    scraped = {
        worker.index: families
        for worker, families in zip(serving, answers, strict=True)
        if families is not None
    }
    families = merge(scraped) + _supervisor_families(pool, scraped)
    return web.Response(body=render(families), headers={"Content-Type": CONTENT_TYPE_LATEST})


async def clients(request: web.Request) -> web.Response:
    workers = request.app[SUPERVISION].pool.workers
    session = request.app[_WORKER_SESSION]
    return await merged_clients(request, session, workers)


async def forget_client(request: web.Request) -> web.Response:
    workers = request.app[SUPERVISION].pool.workers
    session = request.app[_WORKER_SESSION]
    return await forget_everywhere(request, session, workers)


async def _worker_session(app: web.Application) -> AsyncIterator[None]:
    timeout = aiohttp.ClientTimeout(total=WORKER_TIMEOUT_SECONDS)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        app[_WORKER_SESSION] = session
        yield


def create_supervisor_admin_app(
    supervision: Supervision, proxy: web.Application
) -> web.Application:
    """`proxy` is the app the supervisor validated its settings with; it never serves traffic."""
    app = web.Application(middlewares=[envelope_errors])
    app[SETTINGS] = proxy[SETTINGS]
    app[PROXY_APP] = proxy
    app[SUPERVISION] = supervision
    app.cleanup_ctx.append(_worker_session)
    app.router.add_get("/-/healthz", healthz)
    app.router.add_get("/-/readyz", readyz)
    app.router.add_get("/-/metrics", metrics)
    app.router.add_get("/-/versions", versions)
    app.router.add_get("/-/clients", clients)
    app.router.add_delete("/-/clients/{fingerprint}", forget_client)
    return app
