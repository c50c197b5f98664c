"""Header handling between the client, the proxy and the upstream."""

from collections.abc import Iterable, Mapping
from typing import Final

from aiohttp import hdrs
from multidict import CIMultiDict, istr

# RFC 9110 §7.6.1, plus the proxy-only headers that must never travel a second hop.
_HOP_BY_HOP: Final = frozenset(
    istr(name)
    for name in (
        hdrs.CONNECTION,
        "Keep-Alive",
        hdrs.PROXY_AUTHENTICATE,
        hdrs.PROXY_AUTHORIZATION,
        hdrs.TE,
        hdrs.TRAILER,
        "Trailers",
        hdrs.TRANSFER_ENCODING,
        hdrs.UPGRADE,
        "Proxy-Connection",
    )
)
MODA_VERSION: Final = istr("Moda-Version")
REQUEST_ID: Final = istr("X-Request-ID")
_NOT_FORWARDED_UPSTREAM: Final = frozenset({istr(hdrs.HOST), MODA_VERSION})
_RECOMPUTED: Final = frozenset({istr(hdrs.CONTENT_LENGTH)})
_REWRITTEN_BODY: Final = frozenset({istr(hdrs.CONTENT_ENCODING), istr(hdrs.CONTENT_TYPE)})


def _connection_tokens(headers: Mapping[str, str]) -> set[istr]:
    listed = headers.get(hdrs.CONNECTION, "")
    return {istr(token.strip()) for token in listed.split(",") if token.strip()}


def _copy(
    headers: Mapping[str, str] | CIMultiDict[str], dropped: Iterable[istr]
) -> CIMultiDict[str]:
    excluded = _HOP_BY_HOP | _connection_tokens(headers) | set(dropped)
    items = headers.items()
    return CIMultiDict((name, value) for name, value in items if istr(name) not in excluded)


def upstream_request_headers(
    client_headers: Mapping[str, str], upstream_version: str, *, keep_length: bool
) -> CIMultiDict[str]:
    dropped = set(_NOT_FORWARDED_UPSTREAM)
    if not keep_length:
        dropped |= _RECOMPUTED
    headers = _copy(client_headers, dropped)
    headers[MODA_VERSION] = upstream_version
    return headers


def client_response_headers(
    upstream_headers: Mapping[str, str], served_version: str, *, body_rewritten: bool
) -> CIMultiDict[str]:
    dropped = set(_RECOMPUTED)
    if body_rewritten:
        dropped |= _REWRITTEN_BODY
    headers = _copy(upstream_headers, dropped)
    headers[MODA_VERSION] = served_version
    if body_rewritten:
        headers[hdrs.CONTENT_TYPE] = "application/json"
    return headers
