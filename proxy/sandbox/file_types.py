"""The file types uploads take, and stand-in bytes for files the sandbox cannot fetch. Pure."""

import posixpath
from typing import Final

PPTX: Final = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
# Moda lists PNG, JPEG, WebP, PDF and PPTX; GIF and SVG are taken too (brand-kit logos are SVG).
EXTENSIONS: Final = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".pdf": "application/pdf",
    ".pptx": PPTX,
}
SUPPORTED: Final = frozenset(EXTENSIONS.values())
_MAGIC: Final = {
    "image/png": b"\x89PNG\r\n\x1a\n",
    "image/jpeg": b"\xff\xd8\xff\xe0",
    "image/webp": b"RIFF\x00\x00\x00\x00WEBP",
    "image/gif": b"GIF89a",
    "image/svg+xml": b"<svg xmlns='http://www.w3.org/2000/svg'/>\n",
    "application/pdf": b"%PDF-1.7\n",
    PPTX: b"PK\x03\x04",
    "application/zip": b"PK\x03\x04",
}


def type_of(declared: str | None, filename: str) -> str | None:
    """A specific declared type wins; a generic one defers to the name's extension."""
    if declared and declared not in {"application/octet-stream", "binary/octet-stream"}:
        return declared.split(";", 1)[0].strip().lower()
    return EXTENSIONS.get(posixpath.splitext(filename)[1].lower())


def extension_for(mime_type: str) -> str:
    return next((ext for ext, known in EXTENSIONS.items() if known == mime_type), "")


def stand_in_bytes(mime_type: str, label: str) -> bytes:
    """Starts like a real file of the type (so sniffers agree), then names where it came from."""
    return _MAGIC.get(mime_type, b"") + f"moda sandbox: {label}\n".encode()
