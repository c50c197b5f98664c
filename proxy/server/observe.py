"""What the proxy tells operators about each request: metrics, one JSON access-log line, and the
sunset headers legacy clients see."""

import time
from typing import Final

from aiohttp import web
from aiohttp.typedefs import Handler

from proxy.keys import (
    ACCESS_LOG,
    CLIENT_NAMES,
    CLIENT_USAGE,
    REQUEST_INSTRUMENTS,
    SETTINGS,
    SUNSET_HEADERS,
)
from proxy.metrics import UNMATCHED
from proxy.server.convert import MODA_VERSION
from proxy.server.convert import REQUEST_ID as REQUEST_ID_HEADER
from proxy.server.credential import request_credential
from proxy.server.facts import RequestFacts, begin_facts
from proxy.server.middlewares import answer_in_envelope
from proxy.server.request_ids import request_id

_NO_VERSION: Final = "none"


def add_sunset_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Every answer served an older version says when that version ended: called by `observe`
    for every answer, and by a streamed answer before it sends its head.

    Read from the answer's own Moda-Version, so the proxy's refusals made before any version was
    negotiated (a CONNECT, a dot-segment path) carry them as well as translated answers do."""
    headers = request.app[SUNSET_HEADERS].get(response.headers.get(MODA_VERSION, ""))
    if headers is None:
        return
    response.headers["Deprecation"] = headers.deprecation
    response.headers["Sunset"] = headers.sunset
    response.headers.add("Link", headers.link)


def _access_line(
    request: web.Request,
    response: web.StreamResponse,
    facts: RequestFacts,
    route: str,
    version: str,
    seconds: float,
) -> dict[str, object]:
    line: dict[str, object] = {
        "request_id": response.headers.get(REQUEST_ID_HEADER) or request_id(request),
        "method": request.method,
        "route": route,
        "version": version,
        "status": response.status,
        "duration_ms": round(seconds * 1000, 3),
        "upstream_ms": round((facts.upstream_seconds or 0.0) * 1000, 3),
        "translation_ms": round((facts.translation_seconds or 0.0) * 1000, 3),
        "changes": list(facts.changes_applied),
    }
    if facts.upstream_request_id is not None:
        line["upstream_request_id"] = facts.upstream_request_id
    return line


def _record(
    request: web.Request, response: web.StreamResponse, facts: RequestFacts, seconds: float
) -> None:
    app = request.app
    instruments = app[REQUEST_INSTRUMENTS]
    route = facts.route_label or UNMATCHED
    version = facts.served_version or _NO_VERSION
    bound = instruments.route(version, route)
    bound.answered(response.status, seconds)
    if facts.upstream_seconds is not None:
        bound.upstream_took(facts.upstream_seconds)
    if facts.translation_seconds is not None:
        bound.translation_took(facts.translation_seconds)
    if facts.failed_change is not None:
        instruments.translation_failed(facts.failed_change)
    if facts.unsupported_version:
        instruments.unsupported_version()
    app[CLIENT_USAGE].record(request, response, route, version)
    settings = app[SETTINGS]
    if version not in (_NO_VERSION, settings.upstream.version):
        instruments.legacy_request(app[CLIENT_NAMES].name(request_credential(request)))
    if settings.logging.access_log:
        app[ACCESS_LOG].write(_access_line(request, response, facts, route, version, seconds))


@web.middleware
async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    facts = begin_facts(request)
    response = await answer_in_envelope(request, handler)
    if not response.prepared:  # a streamed answer added them before its head went out
        add_sunset_headers(request, response)
    _record(request, response, facts, time.perf_counter() - started)
    return response
