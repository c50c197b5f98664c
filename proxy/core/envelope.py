"""Moda's error envelope, built purely: the one shape every error takes on the wire."""

import re
from typing import Any, Final

from proxy.core.payload import JSONObject


def error_body(
    *,
    type_: str,
    code: str,
    message: str,
    request_id: str,
    details: Any = None,
) -> JSONObject:
    return {
        "error": {
            "type": type_,
            "code": code,
            "message": message,
            "request_id": request_id,
            "details": details,
        }
    }


# The failures aiohttp raises itself (no route, wrong method, too large) in Moda's words.
_HTTP_ERRORS: Final = {
    404: ("not_found", "not_found"),
    405: ("invalid_request", "method_not_allowed"),
    413: ("invalid_request", "request_too_large"),
    431: ("invalid_request", "request_header_fields_too_large"),
}
# Ids are written into log lines and headers: a conservative alphabet, a bounded length.
_SANE_REQUEST_ID: Final = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def http_error_codes(status: int) -> tuple[str, str]:
    """Moda's `(type, code)` for an HTTP failure status."""
    return _HTTP_ERRORS.get(status, ("invalid_request", "invalid_request"))


def is_sane_request_id(value: str) -> bool:
    """Whether a client's `X-Request-ID` may name its request in headers and logs."""
    return _SANE_REQUEST_ID.fullmatch(value) is not None
