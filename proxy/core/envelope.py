"""Moda's error envelope, built purely: the one shape every error takes on the wire."""

from typing import Any

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
