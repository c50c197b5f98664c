"""Relay tokens: where to deliver a legacy client's webhooks, sealed under the proxy's secret. Pure.

A legacy `callback_url` is replaced, on its way upstream, by a relay URL on the proxy whose last
path segment is such a token. The proxy keeps no store: the token carries the client's URL, the
credential's fingerprint and the version to translate to, and the proxy only ever delivers to URLs
inside tokens whose HMAC it made itself.
"""

import base64
import hashlib
import hmac
import ipaddress
import json
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from proxy.core.routes import Route
from proxy.errors import CallbackRefused

_SEPARATOR: Final = "."
_LOCAL_NAMES: Final = frozenset({"localhost"})


@dataclass(frozen=True, slots=True)
class RelayTarget:
    url: str
    fingerprint: str | None
    version: str


class InvalidToken(Exception):
    """Forged, altered or malformed: nothing may be delivered for it."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _tag(secret: bytes, payload: str) -> str:
    return _b64(hmac.new(secret, payload.encode(), hashlib.sha256).digest())


def seal(secret: bytes, target: RelayTarget) -> str:
    document = {"u": target.url, "f": target.fingerprint, "v": target.version}
    payload = _b64(json.dumps(document, separators=(",", ":")).encode())
    return f"{payload}{_SEPARATOR}{_tag(secret, payload)}"


def unseal(secret: bytes, token: str) -> RelayTarget:
    payload, separator, tag = token.partition(_SEPARATOR)
    if not separator or not hmac.compare_digest(_tag(secret, payload), tag):
        raise InvalidToken
    try:
        document = json.loads(_unb64(payload))
        url, fingerprint, version = document["u"], document["f"], document["v"]
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidToken from exc
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
