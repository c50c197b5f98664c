"""Routes a change applies to: buffer, migrate the request, send, migrate the response."""

import asyncio
import dataclasses
import time
from typing import Any, Final

import orjson
from aiohttp import hdrs, web

from proxy.core.engine import VersionPlan, migrate_query, migrate_request, migrate_response
from proxy.core.messages import ApiRequest, ApiResponse, Query, Send
from proxy.core.routes import RouteMatch, render_path
from proxy.errors import (
    ClientRequestError,
    ClientTooSlow,
    RequestTooLarge,
    UpstreamContractError,
)
from proxy.keys import (
    DERIVED_FIELDS,
    EMULATORS,
    SETTINGS,
    UPSTREAM,
    WAIT_HUB,
)
from proxy.server.convert import REQUEST_ID as REQUEST_ID_HEADER
from proxy.server.convert import client_response_headers, upstream_request_headers
from proxy.server.credential import request_credential
from proxy.server.facts import request_facts
from proxy.server.prefer import shared_task, without_wait
from proxy.server.request_ids import adopt_upstream_request_id, forward_request_id, request_id

DERIVED_HEADER: Final = "Moda-Compat-Derived"


def dump_json(document: Any) -> bytes:
    return orjson.dumps(document)


async def _read_body(request: web.Request) -> bytes:
    timeout = request.app[SETTINGS].server.client_body_timeout_seconds
    try:
        async with asyncio.timeout(timeout):
            return await request.read()
    except TimeoutError as exc:
        raise ClientTooSlow(f"The request body did not arrive within {timeout:g} s.") from exc
    except web.HTTPRequestEntityTooLarge as exc:
        limit = request.app[SETTINGS].server.max_translated_body_bytes
        raise RequestTooLarge(
            f"The request body is larger than {limit} bytes.", details={"max_bytes": limit}
        ) from exc


def _client_document(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ClientRequestError(
            "The request body is not valid JSON.", details={"reason": str(exc)}
        ) from exc


def _upstream_document(response: ApiResponse) -> dict[str, Any]:
    if response.document is not None:
        return response.document
    try:
        document = orjson.loads(response.body)
    except orjson.JSONDecodeError as exc:
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
    context = plan.context
    body = await _read_body(request) if request.body_exists else b""
    steps = plan.requests.get(match.route)
    if steps and body.strip():
        document = _client_document(body)
        if isinstance(document, dict):
            body = dump_json(migrate_request(steps, document, context))
    url = request.rel_url
    query: Query = tuple(url.query.items()) if url.raw_query_string else ()
    query_steps = plan.queries.get(match.route)
    if query_steps:
        query = migrate_query(query_steps, query, context)
    headers = upstream_request_headers(
        request.headers, request.app[SETTINGS].upstream.version, keep_length=False
    )
    # Translated bodies are read whole and parsed: ask for them uncompressed.
    headers[hdrs.ACCEPT_ENCODING] = "identity"
    forward_request_id(request, headers)
    upstream_route = plan.upstream_routes.get(match.route)
    path = url.raw_path if upstream_route is None else render_path(upstream_route, match.params)
    return ApiRequest(
        request.method, path, query, headers, body, credential=request_credential(request)
    )


def _client_response(
    request: web.Request,
    response: ApiResponse,
    version: str,
    body: bytes,
    *,
    rewritten: bool,
    derived: list[str] | None = None,
) -> web.Response:
    headers = client_response_headers(response.headers, version, body_rewritten=rewritten)
    headers[REQUEST_ID_HEADER] = request_id(request)
    if derived:
        headers[DERIVED_HEADER] = ", ".join(derived)
        request.app[DERIVED_FIELDS].count(derived)
    return web.Response(status=response.status, body=body, headers=headers)


def _error_response(request: web.Request, response: ApiResponse, plan: VersionPlan) -> web.Response:
    """An error body in Moda's envelope, rewritten only where a change asks for it."""
    version = plan.version
    steps = request_facts(request).error_steps
    if not steps:
        return _client_response(request, response, version, response.body, rewritten=False)
    try:
        document = orjson.loads(response.body)
    except orjson.JSONDecodeError:
        document = None
    if not isinstance(document, dict):
        return _client_response(request, response, version, response.body, rewritten=False)
    body = dump_json(migrate_response(steps, document, plan.context))
    return _client_response(request, response, version, body, rewritten=True)


async def translate(
    request: web.Request, plan: VersionPlan, match: RouteMatch, *, wait_budget: float | None = None
) -> web.Response:
    """Serves a route some change, emulation or the client's `Prefer: wait` applies to."""
    app = request.app
    send: Send = app[UPSTREAM].send
    emulations = plan.emulations.get(match.route)
    if emulations:
        send = app[EMULATORS].bind(emulations, send, plan.version)
    started = time.perf_counter()
    upstream_request = await _upstream_request(request, plan, match)
    sent = time.perf_counter()
    if wait_budget is None:
        response = await send(upstream_request)
    else:
        response = await app[WAIT_HUB].hold(
            without_wait(upstream_request),
            send,
            wait_budget,
            shared_task=shared_task(match, upstream_request, app[WAIT_HUB].routes.shared_read),
        )
    answered = time.perf_counter()
    facts = request_facts(request)
    facts.upstream_seconds = answered - sent
    adopt_upstream_request_id(request, response.headers.get(REQUEST_ID_HEADER))
    if not response.is_success:
        return _error_response(request, response, plan)
    steps = plan.responses.get(match.route)
    if not steps:
        return _client_response(request, response, plan.version, response.body, rewritten=False)
    facts.changes_applied = tuple(step.change for step in steps)
    context = plan.context
    if response.facts is not None:
        context = dataclasses.replace(context, facts=response.facts)
    derived: list[str] = []
    body = dump_json(migrate_response(steps, _upstream_document(response), context, derived))
    facts.translation_seconds = (sent - started) + (time.perf_counter() - answered)
    return _client_response(request, response, plan.version, body, rewritten=True, derived=derived)
