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


def _copy(headers: Mapping[str, str], dropped: Iterable[istr]) -> CIMultiDict[str]:
    copied = CIMultiDict(headers)
    # RFC 9110 §7.6.1: headers the Connection header names are hop-by-hop too.
    for listed in copied.getall(hdrs.CONNECTION, ()):
        for token in listed.split(","):
            copied.popall(token.strip(), None)
    for name in (*_HOP_BY_HOP, *dropped):
        copied.popall(name, None)
    return copied


def upstream_request_headers(
    client_headers: Mapping[str, str], upstream_version: str, *, keep_length: bool
) -> CIMultiDict[str]:
    dropped = _NOT_FORWARDED_UPSTREAM if keep_length else _NOT_FORWARDED_UPSTREAM | _RECOMPUTED
    headers = _copy(client_headers, dropped)
    headers[MODA_VERSION] = upstream_version
    return headers


def client_response_headers(
    upstream_headers: Mapping[str, str], served_version: str, *, body_rewritten: bool
) -> CIMultiDict[str]:
    headers = _copy(
        upstream_headers, _RECOMPUTED | _REWRITTEN_BODY if body_rewritten else _RECOMPUTED
    )
    headers[MODA_VERSION] = served_version
    if body_rewritten:
        headers[hdrs.CONTENT_TYPE] = "application/json"
    return headers
