"""Moda's webhook signature: `v1=<hex HMAC-SHA256 of "{timestamp}.{raw body}">`. Pure.

The key is the API key's webhook signing secret; receivers compare in constant time and refuse
timestamps older than five minutes (moda-api.md §4).
"""

import hashlib
import hmac
from typing import Final

from proxy.errors import SignatureRefused

_SCHEME: Final = "v1="


def sign(secret: str, timestamp: int, body: bytes) -> str:
    signed = f"{timestamp}.".encode() + body
    return _SCHEME + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def verify(secret: str, timestamp: int, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def check_signature(
    secret: str,
    timestamp_header: str | None,
    signature_header: str | None,
    body: bytes,
    *,
    now: float,
    tolerance_seconds: float,
) -> None:
    """Raises SignatureRefused unless the headers sign `body` freshly with `secret`."""
    if not timestamp_header or not signature_header or not timestamp_header.strip().isdigit():
        raise SignatureRefused("The webhook is not signed.")
    timestamp = int(timestamp_header.strip())
    if abs(now - timestamp) > tolerance_seconds:
        raise SignatureRefused("The webhook's timestamp is too old or in the future.")
    offered = [part.strip() for part in signature_header.split(",")]
    if not any(verify(secret, timestamp, body, candidate) for candidate in offered):
        raise SignatureRefused("The webhook's signature does not match.")
