"""Header handling between the client, the proxy and the upstream."""

from collections.abc import Mapping
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
_NOT_FORWARDED_UPSTREAM: Final = (istr(hdrs.HOST), MODA_VERSION)
_RECOMPUTED: Final = (istr(hdrs.CONTENT_LENGTH),)
_REWRITTEN_BODY: Final = (istr(hdrs.CONTENT_ENCODING), istr(hdrs.CONTENT_TYPE))
# Every copy drops one of these four sets, built here once rather than on each request.
_TO_UPSTREAM_KEEPING_LENGTH: Final = (*_HOP_BY_HOP, *_NOT_FORWARDED_UPSTREAM)
_TO_UPSTREAM: Final = (*_TO_UPSTREAM_KEEPING_LENGTH, *_RECOMPUTED)
_TO_CLIENT: Final = (*_HOP_BY_HOP, *_RECOMPUTED)
_TO_CLIENT_REWRITTEN: Final = (*_TO_CLIENT, *_REWRITTEN_BODY)


def _copy(headers: Mapping[str, str], dropped: tuple[istr, ...]) -> CIMultiDict[str]:
    copied = CIMultiDict(headers)
    # RFC 9110 §7.6.1: headers the Connection header names are hop-by-hop too.
    for listed in copied.getall(hdrs.CONNECTION, ()):
        for token in listed.split(","):
            copied.popall(token.strip(), None)
    for name in dropped:
        copied.popall(name, None)
    return copied


def upstream_request_headers(
    client_headers: Mapping[str, str], upstream_version: str, *, keep_length: bool
) -> CIMultiDict[str]:
    headers = _copy(client_headers, _TO_UPSTREAM_KEEPING_LENGTH if keep_length else _TO_UPSTREAM)
    headers[MODA_VERSION] = upstream_version
    return headers


def client_response_headers(
    upstream_headers: Mapping[str, str], served_version: str, *, body_rewritten: bool
) -> CIMultiDict[str]:
    headers = _copy(upstream_headers, _TO_CLIENT_REWRITTEN if body_rewritten else _TO_CLIENT)
    headers[MODA_VERSION] = served_version
    if body_rewritten:
        headers[hdrs.CONTENT_TYPE] = "application/json"
    return headers
