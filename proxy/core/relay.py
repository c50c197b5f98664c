"""Relay tokens: where to deliver a legacy client's webhooks, sealed under the proxy's secret. Pure.

A legacy `callback_url` is replaced, on its way upstream, by a relay URL on the proxy whose last
path segment is such a token. The proxy keeps no store: the token carries the client's URL, the
credential's fingerprint and the version to translate to, and the proxy only ever delivers to URLs
inside tokens whose HMAC it made itself.
"""

import ipaddress
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from proxy.core.routes import Route
from proxy.core.tokens import InvalidToken, open_document, sign_document
from proxy.errors import CallbackRefused

_LOCAL_NAMES: Final = frozenset({"localhost"})


@dataclass(frozen=True, slots=True)
class RelayTarget:
    url: str
    fingerprint: str | None
    version: str


def seal(secret: bytes, target: RelayTarget) -> str:
    return sign_document(secret, {"u": target.url, "f": target.fingerprint, "v": target.version})


def unseal(secret: bytes, token: str) -> RelayTarget:
    """The target sealed into `token`, or InvalidToken."""
    document = open_document(secret, token)
    if not isinstance(document, dict):
        raise InvalidToken
    url, fingerprint, version = document.get("u"), document.get("f", ...), document.get("v")
    if not (isinstance(url, str) and isinstance(version, str)):
        raise InvalidToken
    if fingerprint is not None and not isinstance(fingerprint, str):
        raise InvalidToken
    return RelayTarget(url, fingerprint, version)


@dataclass(frozen=True, slots=True)
class CallbackRelay:
    """On `route`, a client's `callback_url` is replaced by a relay URL on the proxy."""

    route: Route


def _is_private(host: str) -> bool:
    if host.lower() in _LOCAL_NAMES or host.lower().endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return not address.is_global


def check_callback_url(value: object, *, allow_http: bool, allow_private: bool) -> str:
    """The URL as Moda would accept it (HTTPS, a host), or CallbackRefused (422)."""
    if not isinstance(value, str) or not value.strip():
        raise CallbackRefused("must be a URL")
    parts = urlsplit(value.strip())
    allowed_schemes = {"https", "http"} if allow_http else {"https"}
    if parts.scheme.lower() not in allowed_schemes:
        raise CallbackRefused("must be an https URL")
    if not parts.hostname or parts.username or parts.password:
        raise CallbackRefused("must name a host and carry no credentials")
    if not allow_private and _is_private(parts.hostname):
        raise CallbackRefused("must not point at a loopback or private address")
    return value.strip()
