"""Cross-cutting concerns: request ids and rendering every failure in Moda's error envelope."""

import json
import logging
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from proxy.core.engine import migrate_response
from proxy.core.envelope import error_body, http_error_codes
from proxy.core.targets import check_header_size, check_target
from proxy.errors import ProxyError, TranslationError, UnsupportedVersion
from proxy.keys import (
    BUNDLE,
    MIGRATION_CONTEXT,
    SETTINGS,
)
from proxy.server.convert import MODA_VERSION
from proxy.server.convert import REQUEST_ID as REQUEST_ID_HEADER
from proxy.server.facts import request_facts
from proxy.server.request_ids import request_id

_log = logging.getLogger(__name__)


def _answer_version(request: web.Request) -> str:
    """The version negotiated; before that, the client's own when served, else the default."""
    served = request_facts(request).served_version
    if served is not None:
        return served
    asked = request.headers.get(MODA_VERSION, "").strip()
    bundle = request.app.get(BUNDLE)
    if bundle is not None and asked in bundle.supported:
        return asked
    return request.app[SETTINGS].versions.default


def error_response(
    request: web.Request,
    *,
    status: int,
    type_: str,
    code: str,
    message: str,
    details: Any = None,
    version: str | None = None,
) -> web.Response:
    identifier = request_id(request)
    body = error_body(
        type_=type_, code=code, message=message, request_id=identifier, details=details
    )
    steps = request_facts(request).error_steps
    if steps:  # the route's own error shape (the job routes' `detail`)
        body = migrate_response(steps, body, request.app[MIGRATION_CONTEXT])
    served = version or _answer_version(request)
    return web.Response(
        status=status,
        body=json.dumps(body, separators=(",", ":")).encode(),
        content_type="application/json",
        headers={MODA_VERSION: served, REQUEST_ID_HEADER: identifier},
    )


def _render_proxy_error(request: web.Request, exc: ProxyError) -> web.Response:
    # moda-api.md §7: on unsupported_version the header carries the default, not the request.
    version = (
        request.app[SETTINGS].versions.default if isinstance(exc, UnsupportedVersion) else None
    )
    return error_response(
        request,
        status=exc.status,
        type_=exc.type_,
        code=exc.code,
        message=exc.message,
        details=exc.details,
        version=version,
    )


def _render_http_error(request: web.Request, exc: web.HTTPException) -> web.Response:
    type_, code = http_error_codes(exc.status)
    response = error_response(
        request, status=exc.status, type_=type_, code=code, message=exc.reason + "."
    )
    if exc.status == 405 and "Allow" in exc.headers:
        response.headers["Allow"] = exc.headers["Allow"]
    return response


def failure_response(request: web.Request, exc: Exception) -> web.Response:
    """`exc`, raised while serving `request`, rendered in Moda's error envelope. An HTTPException
    below 400 (a redirect) is not a failure: it is raised again, for aiohttp to send."""
    if isinstance(exc, ProxyError):
        if isinstance(exc, TranslationError):
            request_facts(request).failed_change = exc.change
        elif isinstance(exc, UnsupportedVersion):
            request_facts(request).unsupported_version = True
        if exc.__cause__ is not None:
            _log.warning("%s: %s (%r)", exc.code, exc.message, exc.__cause__)
        return _render_proxy_error(request, exc)
    if isinstance(exc, web.HTTPException):
        if exc.status < 400:
            raise exc
        return _render_http_error(request, exc)
    _log.error(
        "unhandled error for %s %s",
        request.method,
        request.rel_url.raw_path,
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    return error_response(
        request,
        status=500,
        type_="internal_error",
        code="internal_error",
        message="The proxy failed to handle this request.",
    )


@web.middleware
async def envelope_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The admin listener's middleware: any failure rendered in Moda's error envelope (the
    proxy's public routes get the same from proxy.server.observe)."""
    try:
        check_target(request.method, request.rel_url.raw_path)
        check_header_size(request.raw_headers, request.app[SETTINGS].server.max_header_bytes)
        return await handler(request)
    except Exception as exc:
        return failure_response(request, exc)
