"""`/-/clients` on the supervisor's admin listener: one migration report for all its workers.

With `state.backend: memory` each worker counts its own requests: the supervisor asks every
serving worker for its raw counts, merges them and builds the report. With `redis` every worker
reads the same shared counts, so one worker's report is the report. `DELETE` is passed to every
serving worker, so a client is forgotten wherever it was counted.
"""

import asyncio
from typing import Any

import aiohttp
from aiohttp import web

from proxy.core.client_usage import (
    UsageSnapshot,
    merge_into,
    snapshot_from_json,
    snapshot_to_json,
)
from proxy.errors import ClientNotFound, ReportUnavailable
from proxy.keys import CLIENT_USAGE, PROXY_APP, SETTINGS
from proxy.server.client_routes import checked_fingerprint, report_format, report_response
from proxy.workers.pool import Worker


async def _call(session: aiohttp.ClientSession, method: str, url: str) -> tuple[int, Any] | None:
    """A worker's status and JSON body; None when it gave none within the session's timeout."""
    try:
        async with session.request(method, url) as response:
            body = await response.json() if response.status == 200 else None
            return response.status, body
    except (aiohttp.ClientError, TimeoutError, ValueError):
        return None


def _serving(workers: list[Worker]) -> list[str]:
    return [w.admin_url for w in workers if w.state == "serving" and w.admin_url is not None]


async def merged_clients(
    request: web.Request, session: aiohttp.ClientSession, workers: list[Worker]
) -> web.Response:
    chosen = report_format(request)
    proxy = request.app[PROXY_APP]
    urls = _serving(workers)
    if proxy[SETTINGS].state.backend == "redis":
        urls = urls[:1]
    answers = await asyncio.gather(
        *(_call(session, "GET", url + "/-/clients?format=snapshot") for url in urls)
    )
    documents = [answer[1] for answer in answers if answer is not None and answer[0] == 200]
    if not documents:
        raise ReportUnavailable("No worker answered with its counts; try again.")
    usage = proxy[CLIENT_USAGE]
    merged = UsageSnapshot()
    for document in documents:
        merge_into(merged, snapshot_from_json(document), usage.limits)
    if chosen == "snapshot":
        return web.json_response(snapshot_to_json(merged))
    return report_response(usage.report(merged), chosen)


async def forget_everywhere(
    request: web.Request, session: aiohttp.ClientSession, workers: list[Worker]
) -> web.Response:
    fingerprint = checked_fingerprint(request)
    path = f"/-/clients/{fingerprint}"
    answers = await asyncio.gather(
        *(_call(session, "DELETE", url + path) for url in _serving(workers))
    )
    statuses = {answer[0] for answer in answers if answer is not None}
    if 204 in statuses:
        return web.Response(status=204)
    if statuses == {404}:
        raise ClientNotFound("The report holds nothing for this client.")
    raise ReportUnavailable("No worker could forget this client; try again.")
