"""File bytes behind signed URLs: uploads and export artifacts.

Moda hands out URLs that carry their own authorization (an `h=` hash on upload URLs, a
signed storage URL for exports), so they are fetched without the API key. The sandbox
serves them itself, outside `/v1`, on the origin the request came in on; the signature
is an HMAC of the path, so a URL cannot be guessed from an id.
"""

import base64
import hashlib
import hmac
from dataclasses import dataclass


@dataclass(frozen=True)
class Blob:
    content: bytes
    mime_type: str
    filename: str


class Storage:
    def __init__(self, secret: str) -> None:
        self._secret = secret.encode()
        self._blobs: dict[str, Blob] = {}

    def put(self, path: str, blob: Blob) -> None:
        self._blobs[path] = blob

    def signed_url(self, origin: str, path: str) -> str:
        return f"{origin}{path}?h={self._signature(path)}"

    def open(self, path: str, signature: str) -> Blob | None:
        """The blob at `path` if `signature` is the one its URL carried, else None."""
        if not hmac.compare_digest(signature, self._signature(path)):
            return None
        return self._blobs.get(path)

    def _signature(self, path: str) -> str:
        tag = hmac.new(self._secret, path.encode(), hashlib.sha256).digest()[:18]
        return base64.urlsafe_b64encode(tag).decode("ascii")
