"""One account's uploaded files, deduplicated by content digest (moda-api.md §6)."""

import hashlib
from dataclasses import dataclass

from proxy.core.payload import JSONObject
from proxy.sandbox.stamps import fresh_id


@dataclass(frozen=True)
class UploadRecord:
    id: str
    filename: str
    mime_type: str
    size_bytes: int
    url: str


class Uploads:
    def __init__(self) -> None:
        self._by_digest: dict[str, UploadRecord] = {}
        self._by_id: dict[str, UploadRecord] = {}

    def get(self, file_id: str) -> UploadRecord | None:
        return self._by_id.get(file_id)

    def find(self, content: bytes) -> UploadRecord | None:
        return self._by_digest.get(digest_of(content))

    def add(self, content: bytes, record: UploadRecord) -> None:
        self._by_digest[digest_of(content)] = record
        self._by_id[record.id] = record


def digest_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def new_file_id() -> str:
    return fresh_id("file")


def render_upload(record: UploadRecord, *, was_duplicate: bool) -> JSONObject:
    """The FileUploadResponse; `folder_id` echoes placement, always unfiled in the sandbox."""
    return {
        "id": record.id,
        "url": record.url,
        "filename": record.filename,
        "mime_type": record.mime_type,
        "size_bytes": record.size_bytes,
        "was_duplicate": was_duplicate,
        "folder_id": None,
    }
