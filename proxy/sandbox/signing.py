"""Moda's webhook signature: `v1=<hex HMAC-SHA256 of "{timestamp}.{body}">`. Pure."""

import hashlib
import hmac


def sign(secret: str, timestamp: int, body: bytes) -> str:
    signed = f"{timestamp}.".encode() + body
    return "v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def verify(secret: str, timestamp: int, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, timestamp, body), signature)
