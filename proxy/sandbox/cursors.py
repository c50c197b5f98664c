"""Opaque, HMAC-signed pagination cursors for `(created_at DESC, id DESC)` lists. Pure.

A cursor is `base64url(payload) "." base64url(tag)`: the payload names the list it
belongs to (a digest of credential, list and filters), the sort key of the last item
served and when it was issued; the tag is HMAC-SHA256 over the payload text. Decoding
re-encodes and compares, so even a change in base64 padding bits counts as tampering.
"""

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any, Final, NamedTuple

_VERSION: Final = 1


class SortKey(NamedTuple):
    """An item's place: fixed-width ISO `created_at` (sorts as text), then id."""

    created_at: str
    id: str


class InvalidCursorError(ValueError):
    """The cursor was not issued for this list, was altered, or has expired."""


def cursor_scope(credential: str, list_name: str, filters: Mapping[str, str]) -> str:
    """A digest naming one list as one caller sees it; cursors are useless elsewhere."""
    identity = json.dumps([credential, list_name, sorted(filters.items())], separators=(",", ":"))
    return hashlib.sha256(identity.encode()).hexdigest()[:32]


def encode_cursor(*, secret: str, scope: str, position: SortKey, issued_at: float) -> str:
    payload = {"v": _VERSION, "s": scope, "k": list(position), "t": issued_at}
    text = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    return f"{_b64(text)}.{_b64(_tag(secret, text))}"


def decode_cursor(*, secret: str, token: str, scope: str, now: float, ttl: float) -> SortKey:
    """Where a cursor resumes; InvalidCursorError unless genuine, ours and fresh."""
    payload = _verified_payload(secret, token)
    if payload.get("v") != _VERSION or payload.get("s") != scope:
        raise InvalidCursorError("cursor belongs to another list")
    issued_at, key = payload.get("t"), payload.get("k")
    if not isinstance(issued_at, int | float) or now - issued_at > ttl:
        raise InvalidCursorError("cursor has expired")
    if not (isinstance(key, list) and len(key) == 2 and all(isinstance(p, str) for p in key)):
        raise InvalidCursorError("cursor position is malformed")
    return SortKey(key[0], key[1])


def _verified_payload(secret: str, token: str) -> dict[str, Any]:
    text_part, _, tag_part = token.partition(".")
    try:
        text, tag = _unb64(text_part), _unb64(tag_part)
    except (binascii.Error, ValueError) as error:
        raise InvalidCursorError("cursor is not base64url") from error
    if _b64(text) != text_part or _b64(tag) != tag_part:
        raise InvalidCursorError("cursor is not in canonical form")
    if not hmac.compare_digest(tag, _tag(secret, text)):
        raise InvalidCursorError("cursor signature does not match")
    payload = json.loads(text)
    if not isinstance(payload, dict):
        raise InvalidCursorError("cursor payload is not an object")
    return payload


def _tag(secret: str, text: bytes) -> bytes:
    return hmac.new(secret.encode(), text, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not text.isascii():
        raise ValueError("cursor text must be ASCII")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
