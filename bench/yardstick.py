"""The yardstick: the simplest aiohttp proxy that translates a Task for a 2026-04-12 client.

    .venv/bin/python -m bench.yardstick --upstream http://127.0.0.1:PORT --listen 127.0.0.1:PORT
                                        [--client session|pool]

`ClientSession.request` to the upstream, an `orjson` flatten of the Task envelope into the legacy
JobResponse (the same JSON the product sends for bench.task's Task), `web.Response`; no metrics,
no logs, no error mapping. On uvloop, as the product, so a comparison measures code, not loops.

`--client pool` swaps `ClientSession` for the product's own upstream pool (proxy.server.http1):
bench.layers uses it to tell the cost of aiohttp's client from that of its server.
"""

import argparse
import math
from collections.abc import AsyncIterator
from typing import Any

import orjson
import uvloop
from aiohttp import ClientSession, web
from yarl import URL

from proxy.server.http1 import ConnectionPool

WORDS = {
    "succeeded": "completed",
    "canceled": "cancelled",
    "expired": "failed",
    "canceling": "running",
}
TERMINAL = {"succeeded", "failed", "canceled", "expired"}
LEGACY = {
    "Moda-Version": "2026-04-12",
    "Deprecation": "@1777593600",
    "Sunset": "Tue, 12 May 2026 00:00:00 GMT",
    "Link": '<https://docs.moda.app/api-reference/versioning>; rel="successor-version"',
}
SESSION = web.AppKey("session", ClientSession)
POOL = web.AppKey("pool", ConnectionPool)
UPSTREAM = web.AppKey("upstream", str)


def flatten(task: dict[str, Any]) -> dict[str, Any]:
    status, done = task["status"], task["status"] in TERMINAL
    given, result = task.get("input") or {}, task.get("result") or {}
    progress, error = task.get("progress") or {}, task.get("error") or {}
    canvas = result.get("canvas_id") or given.get("canvas_id")
    retry_ms = task.get("retry_after_ms") or 3000
    return {
        "job_id": task["id"],
        "status": WORDS.get(status, status),
        "canvas_id": canvas,
        "canvas_url": result.get("canvas_url"),
        "conversation_id": result.get("conversation_id"),
        "message": progress.get("message") or f"Job is {status}.",
        "task": given.get("prompt"),
        "progress_percent": 100 if status == "succeeded" else progress.get("percent") or 0,
        "current_step": progress.get("step"),
        "error": error.get("message"),
        "created_at": task.get("created_at"),
        "started_at": task.get("started_at"),
        "completed_at": task.get("completed_at"),
        "is_terminal": done,
        "can_export": status == "succeeded" and bool(result.get("canvas_id")),
        "retry_after_seconds": None if done else max(1, math.ceil(retry_ms / 1000)),
        "credits": task.get("credits"),
    }


async def handle(request: web.Request) -> web.Response:
    legacy = request.headers.get("Moda-Version") == "2026-04-12"
    headers = {
        "Authorization": request.headers.get("Authorization", ""),
        "Moda-Version": "2026-05-01",
    }
    url = request.app[UPSTREAM] + request.path_qs
    async with request.app[SESSION].request(request.method, url, headers=headers) as upstream:
        body, status = await upstream.read(), upstream.status
        request_id = upstream.headers.get("X-Request-ID", "")
    return client_answer(legacy, status, body, request_id)


def client_answer(legacy: bool, status: int, body: bytes, request_id: str) -> web.Response:
    """The upstream's answer as the client gets it: a legacy client's Task flattened."""
    if legacy and status == 200:
        body = orjson.dumps(flatten(orjson.loads(body)))
    response_headers = (
        {**LEGACY, "X-Request-ID": request_id} if legacy else {"Moda-Version": "2026-05-01"}
    )
    return web.Response(
        status=status, body=body, content_type="application/json", headers=response_headers
    )


def upstream_head(target: str, authorization: str) -> bytes:
    """A GET of `target` as the product's pool sends it: bytes, in one write."""
    return (
        f"GET {target} HTTP/1.1\r\nHost: upstream\r\nAuthorization: {authorization}\r\n"
        "Moda-Version: 2026-05-01\r\nAccept-Encoding: identity\r\n\r\n"
    ).encode()


async def handle_with_pool(request: web.Request) -> web.Response:
    legacy = request.headers.get("Moda-Version") == "2026-04-12"
    head = upstream_head(request.path_qs, request.headers.get("Authorization", ""))
    upstream, body = await request.app[POOL].fetch(
        "GET", head, b"", timeout_seconds=30.0, limit=1 << 20
    )
    assert body is not None  # the bench's Task is a few hundred bytes
    return client_answer(legacy, upstream.status, body, upstream.headers.get("X-Request-ID", ""))


def upstream_pool(upstream: str) -> ConnectionPool:
    url = URL(upstream)
    assert url.host is not None
    assert url.port is not None
    return ConnectionPool(
        host=url.host, port=url.port, tls=None, limit=100, connect_timeout_seconds=5.0
    )


async def session(app: web.Application) -> AsyncIterator[None]:
    async with ClientSession() as client:
        app[SESSION] = client
        yield


async def pool(app: web.Application) -> AsyncIterator[None]:
    app[POOL] = upstream_pool(app[UPSTREAM])
    yield
    await app[POOL].close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--listen", default="127.0.0.1:8090")
    parser.add_argument("--client", choices=("session", "pool"), default="session")
    args = parser.parse_args()
    app = web.Application()
    app[UPSTREAM] = args.upstream.rstrip("/")
    if args.client == "pool":
        app.cleanup_ctx.append(pool)
        app.router.add_route("*", "/{tail:.*}", handle_with_pool)
    else:
        app.cleanup_ctx.append(session)
        app.router.add_route("*", "/{tail:.*}", handle)
    host, _, port = args.listen.rpartition(":")
    web.run_app(
        app, host=host, port=int(port), access_log=None, print=None, loop=uvloop.new_event_loop()
    )


if __name__ == "__main__":
    main()
