"""Opaque, HMAC-signed pagination cursors for `(created_at DESC, id DESC)` lists. Pure.

A cursor is a signed token (`proxy.core.tokens`) whose payload names the list it belongs to
(a digest of credential, list and filters), the sort key of the last item served and when it
was issued.
"""

import hashlib
import json
from collections.abc import Mapping
from typing import Any, Final, NamedTuple

from proxy.core.tokens import InvalidToken, open_document, sign_document

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
    return sign_document(secret.encode(), payload)


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
    try:
        payload = open_document(secret.encode(), token)
    except InvalidToken as error:
        raise InvalidCursorError("cursor signature does not match") from error
    if not isinstance(payload, dict):
        raise InvalidCursorError("cursor payload is not an object")
    return payload
