"""What the proxy tells operators about each request: metrics, one JSON access-log line, and the
sunset headers legacy clients see."""

import time
from typing import Final

from aiohttp import web
from aiohttp.typedefs import Handler

from proxy.keys import (
    ACCESS_LOG,
    CHANGES_APPLIED,
    CLIENT_NAMES,
    CLIENT_USAGE,
    FAILED_CHANGE,
    REQUEST_INSTRUMENTS,
    ROUTE_LABEL,
    SERVED_VERSION,
    SETTINGS,
    SUNSET_HEADERS,
    TRANSLATION_SECONDS,
    UNSUPPORTED_VERSION,
    UPSTREAM_SECONDS,
)
from proxy.metrics import UNMATCHED
from proxy.server.convert import MODA_VERSION
from proxy.server.convert import REQUEST_ID as REQUEST_ID_HEADER
from proxy.server.credential import request_credential
from proxy.server.request_ids import UPSTREAM_REQUEST_ID, request_id

_NO_VERSION: Final = "none"


async def add_sunset_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: every answer served an older version says when that version ended.

    Read from the answer's own Moda-Version, so the proxy's refusals made before any version was
    negotiated (a CONNECT, a dot-segment path) carry them as well as translated answers do."""
    headers = request.app.get(SUNSET_HEADERS)
    version = response.headers.get(MODA_VERSION)
    if headers is None or version is None or version == request.app[SETTINGS].upstream.version:
        return
    response.headers["Deprecation"] = headers.deprecation
    response.headers["Sunset"] = headers.sunset
    response.headers.add("Link", headers.link)


def _access_line(
    request: web.Request, response: web.StreamResponse, route: str, version: str, seconds: float
) -> dict[str, object]:
    line: dict[str, object] = {
        "request_id": response.headers.get(REQUEST_ID_HEADER) or request_id(request),
        "method": request.method,
        "route": route,
        "version": version,
        "status": response.status,
        "duration_ms": round(seconds * 1000, 3),
        "upstream_ms": round(request.get(UPSTREAM_SECONDS, 0.0) * 1000, 3),
        "translation_ms": round(request.get(TRANSLATION_SECONDS, 0.0) * 1000, 3),
        "changes": list(request.get(CHANGES_APPLIED, ())),
    }
    if UPSTREAM_REQUEST_ID in request:
        line["upstream_request_id"] = request[UPSTREAM_REQUEST_ID]
    return line


def _record(request: web.Request, response: web.StreamResponse, seconds: float) -> None:
    app = request.app
    instruments = app[REQUEST_INSTRUMENTS]
    route = request.get(ROUTE_LABEL, UNMATCHED)
    version = request.get(SERVED_VERSION, _NO_VERSION)
    bound = instruments.route(version, route)
    bound.answered(response.status, seconds)
    if UPSTREAM_SECONDS in request:
        bound.upstream_took(request[UPSTREAM_SECONDS])
    if TRANSLATION_SECONDS in request:
        bound.translation_took(request[TRANSLATION_SECONDS])
    if FAILED_CHANGE in request:
        instruments.translation_failed(request[FAILED_CHANGE])
    if request.get(UNSUPPORTED_VERSION):
        instruments.unsupported_version()
    app[CLIENT_USAGE].record(request, response, route, version)
    if version not in (_NO_VERSION, app[SETTINGS].upstream.version):
        instruments.legacy_request(app[CLIENT_NAMES].name(request_credential(request)))
    if app[SETTINGS].logging.access_log:
        app[ACCESS_LOG].write(_access_line(request, response, route, version, seconds))


@web.middleware
async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    response = await handler(request)
    _record(request, response, time.perf_counter() - started)
    return response
