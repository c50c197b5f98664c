"""The HTTP edge: version, request id and auth checks, error rendering, JSON helpers."""

import json
import logging
import uuid
from collections.abc import Mapping
from typing import Any, Final

from aiohttp import web
from aiohttp.typedefs import Handler

from proxy.core.envelope import error_body, http_error_codes, is_sane_request_id
from proxy.sandbox.account import Account
from proxy.sandbox.errors import (
    SandboxError,
    authentication_required,
    invalid_request,
    unsupported_version,
)
from proxy.sandbox.keys import REQUEST_ID, SANDBOX_STATE, TOKEN

SANDBOX_VERSION: Final = "2026-05-01"
CLI_LATEST_HEADER: Final = "Moda-Cli-Latest-Version"
CLI_MINIMUM_HEADER: Final = "Moda-Cli-Minimum-Version"
logger = logging.getLogger(__name__)


@web.middleware
async def sandbox_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    request_id = _request_id(request)
    request[REQUEST_ID] = request_id
    try:
        _check_version(request)
        if request.path == "/v1" or request.path.startswith("/v1/"):
            request[TOKEN] = _bearer_token(request)
        response = await handler(request)
    except SandboxError as error:
        response = error_response(error, request_id)
    except web.HTTPException as exc:
        response = error_response(_from_http_exception(request, exc), request_id)
    except Exception:
        logger.exception("sandbox handler failed on %s %s", request.method, request.path)
        failure = SandboxError(500, "internal_error", "internal_error", "Internal server error.")
        response = error_response(failure, request_id)
    response.headers["Moda-Version"] = SANDBOX_VERSION
    response.headers["X-Request-ID"] = request_id
    # Moda names the CLI releases on every response; the CLI stamps them for its update notice.
    settings = request.app[SANDBOX_STATE].settings
    response.headers[CLI_LATEST_HEADER] = settings.cli_latest_version
    response.headers[CLI_MINIMUM_HEADER] = settings.cli_minimum_version
    return response


def _request_id(request: web.Request) -> str:
    given = request.headers.get("X-Request-ID", "")
    return given if is_sane_request_id(given) else str(uuid.uuid4())


def _check_version(request: web.Request) -> None:
    requested = request.headers.get("Moda-Version")
    if requested is not None and requested.strip() != SANDBOX_VERSION:
        raise unsupported_version(requested, [SANDBOX_VERSION])


def _bearer_token(request: web.Request) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token.startswith("moda_") or len(token) <= len("moda_"):
        raise authentication_required()
    return token


def _from_http_exception(request: web.Request, exc: web.HTTPException) -> SandboxError:
    type_, code = http_error_codes(exc.status)
    if exc.status == 404:
        message = f"No route matches {request.method} {request.path}."
    elif exc.status == 405:
        message = f"Method {request.method} is not allowed on {request.path}."
    else:
        message = exc.reason
    headers = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
    return SandboxError(exc.status, type_, code, message, headers=headers)


def error_response(error: SandboxError, request_id: str) -> web.Response:
    body = error_body(
        type_=error.type_,
        code=error.code,
        message=error.message,
        request_id=request_id,
        details=error.details,
    )
    if error.retry_after_ms is not None:
        body["error"]["retry_after_ms"] = error.retry_after_ms
    return json_response(body, status=error.status, headers=error.headers)


def json_response(
    data: Any, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    return web.json_response(data, status=status, headers=headers)


async def read_json(request: web.Request) -> Any:
    """The parsed body; empty reads as `{}`, so validation names missing fields."""
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise invalid_request("The request body is not valid JSON.") from error


def account_of(request: web.Request) -> Account:
    return request.app[SANDBOX_STATE].account(request[TOKEN])
