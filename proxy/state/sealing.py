"""Seals a client's credential for keeping in Redis: AES-256-GCM under a key from the relay secret.

The key is derived from the relay secret (the one secret every replica shares and keeps across
restarts) with a label of its own, so it never doubles as the relay's HMAC key. Each seal has a
fresh nonce, and the record it belongs to is bound in as associated data: a sealed credential
copied to another record does not open.
"""

import hashlib
import hmac
import os
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_LABEL: Final = b"moda-compat-proxy expiry watch credential v1"
_NONCE_BYTES: Final = 12


class CredentialSeal:
    def __init__(self, relay_key: bytes) -> None:
        self._cipher = AESGCM(hmac.new(relay_key, _LABEL, hashlib.sha256).digest())

    def seal(self, credential: str, record: bytes) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + self._cipher.encrypt(nonce, credential.encode(), record)

    def open(self, sealed: bytes, record: bytes) -> str | None:
        """The credential, or None when it was sealed under another key or for another record."""
        nonce, box = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
        try:
            return self._cipher.decrypt(nonce, box, record).decode()
        except (InvalidTag, ValueError, UnicodeDecodeError):
            return None

    def __repr__(self) -> str:
        return "CredentialSeal()"
