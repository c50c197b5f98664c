"""Writing an answer's head on the public listener.

Most answers are a `web.Response` with its whole body in memory: its head is written here, with
the body, in one `transport.write`, under the same rules aiohttp's `prepare` follows (RFC 9110
§8.6 Content-Length, §6.4.1 no body for HEAD, 1xx, 204 and 304, Date, Server, Connection). Any
other answer (streamed, compressed, chunked, with cookies) goes through aiohttp's own `prepare`.
"""

import json
import time
from collections.abc import Mapping
from email.utils import formatdate
from typing import Final

from aiohttp import hdrs, web
from aiohttp.http import SERVER_SOFTWARE, HttpVersion10, HttpVersion11
from aiohttp.http_parser import RawRequestMessage
from multidict import CIMultiDict

from proxy.core.envelope import error_body
from proxy.server.convert import REQUEST_ID as REQUEST_ID_HEADER
from proxy.server.id_source import new_request_id

_CONTINUE: Final = b"HTTP/1.1 100 Continue\r\n\r\n"
_SERVER_FIELD: Final = f"Server: {SERVER_SOFTWARE}\r\n"


class _HttpDate:
    """The Date header, formatted once a second rather than once an answer."""

    def __init__(self) -> None:
        self._second = -1
        self._text = ""

    def __call__(self) -> str:
        now = int(time.time())
        if now != self._second:
            self._second, self._text = now, formatdate(now, usegmt=True)
        return self._text


http_date = _HttpDate()


def interim_continue() -> bytes:
    return _CONTINUE


def _without_body(method: str, status: int) -> bool:
    return method == hdrs.METH_HEAD or status < 200 or status in (204, 304)


def _whole_body(response: web.StreamResponse) -> bytes | None:
    """The body of an answer this module can send, else None."""
    if type(response) is not web.Response or response.prepared:
        return None
    body = response.body
    if type(body) is not bytes or response.chunked or response.compression:
        return None
    if response._cookies:  # rare: aiohttp renders Set-Cookie from the cookie jar
        return None
    return body


def _length_field(method: str, status: int, body: bytes, headers: CIMultiDict[str]) -> str:
    """RFC 9110 §8.6: no Content-Length on 1xx, 204, 304 or a CONNECT's 2xx; else the body's
    own, unless a HEAD answer names the length its GET would have."""
    if status < 200 or status in (204, 304) or (method == hdrs.METH_CONNECT and status < 300):
        headers.popall(hdrs.CONTENT_LENGTH, None)
        return ""
    if hdrs.CONTENT_LENGTH in headers or (method == hdrs.METH_HEAD and not body):
        return ""
    return f"Content-Length: {len(body)}\r\n"


def _connection_field(message: RawRequestMessage, keep_alive: bool) -> str:
    if not keep_alive and message.version == HttpVersion11:
        return "Connection: close\r\n"
    if keep_alive and message.version == HttpVersion10:
        return "Connection: keep-alive\r\n"
    return ""


def written_whole(message: RawRequestMessage, response: web.StreamResponse) -> bytes | None:
    """`response`'s head and body as bytes, or None when aiohttp's `prepare` must send it."""
    body = _whole_body(response)
    if body is None:
        return None
    method, status, headers = message.method, response.status, response.headers
    empty = _without_body(method, status)
    if body and not empty:
        headers.setdefault(hdrs.CONTENT_TYPE, "application/octet-stream")
    # Written beside the headers rather than into them: cheaper, and they are the server's own.
    added = _length_field(method, status, body, headers)
    if hdrs.DATE not in headers:
        added += f"Date: {http_date()}\r\n"
    if hdrs.SERVER not in headers:
        added += _SERVER_FIELD
    keep_alive = response.keep_alive
    if keep_alive is None:
        keep_alive = not message.should_close
    if hdrs.CONNECTION not in headers:
        added += _connection_field(message, keep_alive)
    if not keep_alive:
        response.force_close()
    head = _head(message.version, status, response.reason, headers, added)
    return head if empty else head + body


def _head(
    version: tuple[int, int], status: int, reason: str, headers: CIMultiDict[str], added: str
) -> bytes:
    fields = "".join([f"{name}: {value}\r\n" for name, value in headers.items()])
    # A CR or LF inside a value would end the field early: a header injection.
    lines = len(headers)
    if fields.count("\n") != lines or fields.count("\r") != lines:
        raise ValueError("Newline or carriage return character detected in HTTP header")
    return f"HTTP/{version[0]}.{version[1]} {status} {reason}\r\n{fields}{added}\r\n".encode()


def refusal(status: int, reason: str, code: str, message: str, fields: Mapping[str, str]) -> bytes:
    """A whole answer, in Moda's error envelope, to a request too malformed to be served at all;
    `fields` name the version it is served in. The connection closes after it."""
    request_id = new_request_id()
    body = error_body(type_="invalid_request", code=code, message=message, request_id=request_id)
    payload = json.dumps(body, separators=(",", ":")).encode()
    headers = CIMultiDict(
        {
            hdrs.CONTENT_TYPE: "application/json",
            hdrs.CONTENT_LENGTH: str(len(payload)),
            REQUEST_ID_HEADER: request_id,
        }
    )
    headers.extend(fields)
    added = f"Date: {http_date()}\r\n{_SERVER_FIELD}Connection: close\r\n"
    return _head(HttpVersion11, status, reason, headers, added) + payload
