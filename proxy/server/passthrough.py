"""Requests no change applies to: forwarded as they are, bodies streamed both ways."""

import logging
import time
from typing import Final

from aiohttp import hdrs, web
from multidict import CIMultiDict

from proxy.errors import UpstreamContractError, UpstreamError, UpstreamTimeout
from proxy.keys import SETTINGS, UPSTREAM
from proxy.server.convert import REQUEST_ID as REQUEST_ID_HEADER
from proxy.server.convert import client_response_headers, upstream_request_headers
from proxy.server.facts import request_facts
from proxy.server.http1 import UpstreamAnswer
from proxy.server.observe import add_sunset_headers
from proxy.server.request_ids import adopt_upstream_request_id, forward_request_id, request_id
from proxy.server.upload import StreamedBody, body_too_large

_log = logging.getLogger(__name__)
# Below this size a body is read whole: one write is cheaper than a streamed response.
_SMALL_BODY: Final = 256 * 1024


def _request_body(request: web.Request) -> StreamedBody | None:
    server = request.app[SETTINGS].server
    if request.content_length is not None and request.content_length > server.max_body_bytes:
        raise body_too_large(server.max_body_bytes)
    if not request.body_exists:
        return None
    return StreamedBody(
        request.content,
        max_bytes=server.max_body_bytes,
        idle_seconds=server.client_body_timeout_seconds,
    )


async def pass_through(request: web.Request, version: str) -> web.StreamResponse:
    upstream = request.app[UPSTREAM]
    headers = upstream_request_headers(
        request.headers, request.app[SETTINGS].upstream.version, keep_length=True
    )
    forward_request_id(request, headers)
    body = _request_body(request)
    started = time.perf_counter()
    async with upstream.stream(request.method, request.rel_url.raw_path_qs, headers, body) as up:
        # The upstream's time, from the end of the body it was sent (or earlier, if it answered).
        body_ended = body.ended_at if body is not None else None
        request_facts(request).upstream_seconds = time.perf_counter() - (body_ended or started)
        adopt_upstream_request_id(request, up.headers.get(REQUEST_ID_HEADER))
        response_headers = client_response_headers(up.headers, version, body_rewritten=False)
        response_headers[REQUEST_ID_HEADER] = request_id(request)
        length = up.content_length
        if request.method != hdrs.METH_HEAD and length is not None and length <= _SMALL_BODY:
            data = await _read_small(up, length, upstream.read_timeout)
            return web.Response(
                status=up.status, reason=up.reason, body=data, headers=response_headers
            )
        return await _stream_back(request, up, response_headers, upstream.read_timeout)


async def _read_small(up: UpstreamAnswer, length: int, idle_seconds: float) -> bytes:
    try:
        data = await up.read(length, idle_seconds)
    except TimeoutError as exc:
        raise UpstreamTimeout("The upstream did not answer in time.") from exc
    if data is None:  # the parser stops at the declared length: never, short of a parser fault
        raise UpstreamContractError("The upstream sent more than the length it declared.")
    return data


async def _stream_back(
    request: web.Request, up: UpstreamAnswer, headers: CIMultiDict[str], idle_seconds: float
) -> web.StreamResponse:
    response = web.StreamResponse(status=up.status, reason=up.reason, headers=headers)
    if up.content_length is not None:
        response.content_length = up.content_length
    add_sunset_headers(request, response)
    await response.prepare(request)
    try:
        async for chunk in up.chunks(idle_seconds):
            await response.write(chunk)
    except (UpstreamError, TimeoutError) as exc:
        # The status line is gone already: cutting the connection is the only honest signal left.
        _log.warning("upstream failed mid-body for %s: %r", request.rel_url.raw_path, exc)
        if request.transport is not None:
            request.transport.close()
        return response
    await response.write_eof()
    return response
