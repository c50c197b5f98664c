"""A credential's fingerprint: what caches key on instead of the credential itself. Pure."""

import hashlib

_FINGERPRINT_HEX_DIGITS = 32


def credential_fingerprint(authorization: str | None) -> str | None:
    """A non-reversible name for an `Authorization` value; None when there is none to name."""
    if not authorization or not authorization.strip():
        return None
    digest = hashlib.sha256(authorization.strip().encode()).hexdigest()
    return digest[:_FINGERPRINT_HEX_DIGITS]
