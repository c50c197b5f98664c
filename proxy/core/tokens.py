"""Signed tokens: `base64url(JSON) "." base64url(HMAC-SHA256 of that base64url text)`. Pure.

The proxy's relay tokens and the sandbox's cursors are both such tokens. The tag covers the
payload's characters as sent, so any change to them (its base64 padding bits included) breaks the
tag; there is nothing to normalise before comparing. Relay tokens live on in Moda's copy of a
task's `callback_url` for as long as the task does, so this format cannot change without breaking
webhooks already promised.
"""

import base64
import hashlib
import hmac
import json
from typing import Final

_SEPARATOR: Final = "."


class InvalidToken(Exception):
    """Forged, altered or malformed: not a token this secret signed."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _tag(secret: bytes, payload: str) -> str:
    return _b64(hmac.new(secret, payload.encode("ascii"), hashlib.sha256).digest())


def sign_document(secret: bytes, document: object) -> str:
    """`document` as compact JSON, signed with `secret`."""
    payload = _b64(json.dumps(document, separators=(",", ":")).encode())
    return f"{payload}{_SEPARATOR}{_tag(secret, payload)}"


def open_document(secret: bytes, token: str) -> object:
    """The JSON value `secret` signed into `token`, or InvalidToken."""
    payload, separator, tag = token.partition(_SEPARATOR)
    # compare_digest refuses non-ASCII text with a TypeError: such a token is simply not ours.
    if not (separator and token.isascii()):
        raise InvalidToken
    if not hmac.compare_digest(_tag(secret, payload), tag):
        raise InvalidToken
    try:
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except ValueError as exc:  # only a leaked secret signs a payload that is not JSON
        raise InvalidToken from exc
