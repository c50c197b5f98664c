"""`POST /v1/uploads` (multipart `file`) and `POST /v1/uploads/from-url` (`{source_url}`).

Both answer the FileUploadResponse; the same bytes uploaded again answer the existing record
with `was_duplicate: true`. From-url never fetches (the sandbox has no network): a URL that
passes the SSRF check stands for a fixed stand-in file of the type its extension names.
"""

import posixpath
import re
from dataclasses import dataclass
from typing import Final
from urllib.parse import unquote

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from proxy.core.ids import uuid_from_prefixed
from proxy.sandbox.account import Account
from proxy.sandbox.bodies import UploadFromUrlBody, parse_body
from proxy.sandbox.errors import SandboxError, invalid_request, not_found, validation_failed
from proxy.sandbox.file_types import SUPPORTED, extension_for, stand_in_bytes, type_of
from proxy.sandbox.http import account_of, json_response, read_json
from proxy.sandbox.keys import SANDBOX_STATE
from proxy.sandbox.paths import normalize_id
from proxy.sandbox.routes_storage import UPLOADS_PREFIX
from proxy.sandbox.source_urls import check_source_url
from proxy.sandbox.storage import Blob
from proxy.sandbox.uploads import UploadRecord, new_file_id, render_upload

_CHUNK: Final = 64 * 1024
_FIELD_LIMIT: Final = 1024
_UNSAFE_NAME: Final = re.compile(r"[\x00-\x1f\x7f\"\\/]")


@dataclass(frozen=True)
class UploadForm:
    content: bytes
    declared_type: str | None
    filename: str
    folder_id: str | None


def add_upload_routes(app: web.Application) -> None:
    app.router.add_post("/v1/uploads", upload_file)
    app.router.add_post("/v1/uploads/from-url", upload_from_url)


async def upload_file(request: web.Request) -> web.Response:
    form = await _read_form(request, request.app[SANDBOX_STATE].settings.upload_max_bytes)
    mime_type = _supported_type(type_of(form.declared_type, form.filename))
    _check_folder(form.folder_id)
    return _store(request, account_of(request), form.content, mime_type, form.filename)


async def upload_from_url(request: web.Request) -> web.Response:
    body = parse_body(UploadFromUrlBody, await read_json(request))
    url = check_source_url(body.source_url)
    url_name = _safe_name(unquote(url.path))
    mime_type = _supported_type(_type_named_by(body.filename or "", url_name))
    filename = _safe_name(body.filename or url_name)
    if not posixpath.splitext(filename)[1]:
        filename = f"{filename or 'download'}{extension_for(mime_type)}"
    _check_folder(body.folder_id)
    content = stand_in_bytes(mime_type, f"fetched from {url}")
    return _store(request, account_of(request), content, mime_type, filename)


def _type_named_by(*names: str) -> str | None:
    """The first name with an extension decides; with none, the file is taken for an image,
    as most extensionless links are."""
    for name in names:
        if posixpath.splitext(name)[1]:
            return type_of(None, name)
    return "image/png"


async def _read_form(request: web.Request, limit: int) -> UploadForm:
    if request.content_type != "multipart/form-data":
        raise _missing_file()
    file: tuple[bytes, str | None, str] | None = None
    folder_id: str | None = None
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                await part.release()
            elif part.name == "file" and file is None:
                content = await _read_bounded(part, limit, _too_large(limit))
                file = (content, part.headers.get("Content-Type"), part.filename or "")
            elif part.name == "folder_id":
                raw = await _read_bounded(part, _FIELD_LIMIT, _bad_folder_field())
                folder_id = raw.decode("utf-8", "replace").strip() or None
            else:
                await part.release()
    except (ValueError, HttpProcessingError) as error:
        raise invalid_request("The request body is not valid multipart/form-data.") from error
    if file is None:
        raise _missing_file()
    if not file[0]:
        raise validation_failed(
            [{"field": "body.file", "code": "empty", "message": "The file is empty."}]
        )
    return UploadForm(file[0], file[1], _safe_name(file[2]) or "upload", folder_id)


async def _read_bounded(part: BodyPartReader, limit: int, too_big: SandboxError) -> bytes:
    """Reads in chunks and stops past `limit`, so an oversize upload is never held whole."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await part.read_chunk(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise too_big
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> SandboxError:
    return SandboxError(
        422,
        "unprocessable",
        "file_too_large",
        f"The file is larger than the {limit} bytes this plan allows.",
        details={"max_bytes": limit},
    )


def _bad_folder_field() -> SandboxError:
    return validation_failed(
        [{"field": "body.folder_id", "code": "string_too_long", "message": "Too long."}]
    )


def _missing_file() -> SandboxError:
    return validation_failed(
        [{"field": "body.file", "code": "missing", "message": "A multipart `file` is required."}]
    )


def _supported_type(mime_type: str | None) -> str:
    if mime_type not in SUPPORTED:
        raise SandboxError(
            422,
            "unprocessable",
            "unsupported_file_type",
            f"Files of type {mime_type or 'unknown'} cannot be uploaded.",
            details={"mime_type": mime_type, "supported": sorted(SUPPORTED)},
        )
    return mime_type


def _check_folder(folder_id: str | None) -> None:
    """The sandbox has no drive: a well-formed folder id names a folder that does not exist."""
    if folder_id is None:
        return
    folder = normalize_id(folder_id, "fld", "body.folder_id")
    raise not_found(f"Folder {folder} not found", code="folder_not_found")


def _safe_name(name: str) -> str:
    base = posixpath.basename(name.replace("\\", "/"))
    return _UNSAFE_NAME.sub("", base).strip()[:255]


def _store(
    request: web.Request, account: Account, content: bytes, mime_type: str, filename: str
) -> web.Response:
    """The existing record for these bytes, else a new one; either way a logged write."""
    store = request.app[SANDBOX_STATE]
    record = account.uploads.find(content)
    was_duplicate = record is not None
    if record is None:
        file_id = new_file_id()
        path = f"{UPLOADS_PREFIX}{uuid_from_prefixed(file_id)}"
        store.storage.put(path, Blob(content, mime_type, filename))
        url = store.storage.signed_url(str(request.url.origin()), path)
        record = UploadRecord(file_id, filename, mime_type, len(content), url)
        account.uploads.add(content, record)
    account.record_event("file.uploaded", request.method, request.path, 200, store.clock.wall())
    return json_response(render_upload(record, was_duplicate=was_duplicate))
