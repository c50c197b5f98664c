"""What the proxy tells operators about each request: metrics, one JSON access-log line, and the
sunset headers legacy clients see.

`RequestObserver` reads what it needs from the app once, when the app is built, and makes the
public app's one middleware: it checks the target and headers, renders every failure in Moda's
error envelope (see proxy.server.middlewares), and records the answer. Each request pays only for
its own counts and its access line, not for looking the app's parts up again.
"""

import time
from typing import Final

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from proxy.core.targets import check_header_size, check_target
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
from proxy.server.middlewares import failure_response
from proxy.server.request_ids import request_id
from proxy.server.sunset import SunsetHeaders

_NO_VERSION: Final = "none"


def add_sunset_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Called by a streamed answer before it sends its head (`RequestObserver` adds them to
    every other answer)."""
    _add_sunset_headers(request.app[SUNSET_HEADERS], response)


def _add_sunset_headers(by_version: dict[str, SunsetHeaders], response: web.StreamResponse) -> None:
    """Every answer served an older version says when that version ended.

    Read from the answer's own Moda-Version, so the proxy's refusals made before any version was
    negotiated (a CONNECT, a dot-segment path) carry them as well as translated answers do."""
    if by_version:
        headers = by_version.get(response.headers.get(MODA_VERSION, ""))
        if headers is not None:
            headers.add_to(response.headers)


class RequestObserver:
    """Counts, logs and envelopes every request to the proxy's public routes."""

    def __init__(self, app: web.Application) -> None:
        settings = app[SETTINGS]
        self._instruments = app[REQUEST_INSTRUMENTS]
        self._usage = app[CLIENT_USAGE]
        self._client_names = app[CLIENT_NAMES]
        self._sunset = app[SUNSET_HEADERS]
        self._upstream_version = settings.upstream.version
        self._max_header_bytes = settings.server.max_header_bytes
        self._access_log = app[ACCESS_LOG] if settings.logging.access_log else None

    def middleware(self) -> Middleware:
        """The public app's one middleware. It sees every request, even those aiohttp's router
        refuses before any route (CONNECT's authority form, OPTIONS `*`)."""

        @web.middleware
        async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
            started = time.perf_counter()
            facts = begin_facts(request)
            try:
                # Here rather than in the route: a CONNECT target never matches any route at all.
                check_target(request.method, request.rel_url.raw_path)
                check_header_size(request.raw_headers, self._max_header_bytes)
                response = await handler(request)
            except Exception as exc:
                response = failure_response(request, exc)
            if not response.prepared:  # a streamed answer added them before its head went out
                _add_sunset_headers(self._sunset, response)
            self._record(request, response, facts, time.perf_counter() - started)
            return response

        return observe

    def _record(
        self,
        request: web.Request,
        response: web.StreamResponse,
        facts: RequestFacts,
        seconds: float,
    ) -> None:
        instruments = self._instruments
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
        fingerprint = request_credential(request)
        self._usage.record(request, response, route, version, fingerprint)
        if version != _NO_VERSION and version != self._upstream_version:
            instruments.legacy_request(self._client_names.name(fingerprint))
        if self._access_log is not None:
            self._access_log.write(_access_line(request, response, facts, route, version, seconds))


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
        "changes": facts.changes_applied,
    }
    if facts.upstream_request_id is not None:
        line["upstream_request_id"] = facts.upstream_request_id
    return line
