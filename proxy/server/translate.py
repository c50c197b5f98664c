"""Routes a change applies to: buffer, migrate the request, send, migrate the response."""

import json
from typing import Any

from aiohttp import web

from proxy.core.engine import VersionPlan, migrate_request, migrate_response
from proxy.core.messages import ApiRequest, ApiResponse
from proxy.core.routes import RouteMatch
from proxy.errors import ClientRequestError, RequestTooLarge, UpstreamContractError
from proxy.keys import MIGRATION_CONTEXT, SETTINGS, UPSTREAM
from proxy.server.convert import client_response_headers, upstream_request_headers


def dump_json(document: Any) -> bytes:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


async def _read_body(request: web.Request) -> bytes:
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge as exc:
        limit = request.app[SETTINGS].server.max_translated_body_bytes
        raise RequestTooLarge(
            f"The request body is larger than {limit} bytes.",
            details={"max_bytes": limit},
        ) from exc


def _client_document(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError as exc:
        raise ClientRequestError(
            "The request body is not valid JSON.", details={"reason": str(exc)}
        ) from exc


def _upstream_document(response: ApiResponse) -> dict[str, Any]:
    try:
        document = json.loads(response.body)
    except ValueError as exc:
        raise UpstreamContractError(
            f"The upstream answered {response.status} with a body that is not JSON.",
            details={"upstream_status": response.status},
        ) from exc
    if not isinstance(document, dict):
        raise UpstreamContractError(
            f"The upstream answered {response.status} with JSON that is not an object.",
            details={"upstream_status": response.status},
        )
    return document


async def _upstream_request(
    request: web.Request, plan: VersionPlan, match: RouteMatch
) -> ApiRequest:
    body = await _read_body(request)
    steps = plan.requests.get(match.route)
    if steps and body.strip():
        document = _client_document(body)
        if isinstance(document, dict):
            migrated = migrate_request(steps, document, request.app[MIGRATION_CONTEXT])
            body = dump_json(migrated)
    headers = upstream_request_headers(
        request.headers, request.app[SETTINGS].upstream.version, keep_length=False
    )
    return ApiRequest(request.method, request.rel_url.raw_path_qs, headers, body)


async def translate(request: web.Request, plan: VersionPlan, match: RouteMatch) -> web.Response:
    response = await request.app[UPSTREAM].send(await _upstream_request(request, plan, match))
    steps = plan.responses.get(match.route)
    if not steps or not response.is_success:
        headers = client_response_headers(response.headers, plan.version, body_rewritten=False)
        return web.Response(status=response.status, body=response.body, headers=headers)
    context = request.app[MIGRATION_CONTEXT]
    migrated = migrate_response(steps, _upstream_document(response), context)
    headers = client_response_headers(response.headers, plan.version, body_rewritten=True)
    return web.Response(status=response.status, body=dump_json(migrated), headers=headers)
