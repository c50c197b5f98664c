"""Errors sandbox handlers raise; the middleware renders them in Moda's envelope."""

from collections.abc import Mapping
from typing import Any


class SandboxError(Exception):
    """One Moda error: HTTP status, type and code, message, details, extra headers."""

    def __init__(
        self,
        status: int,
        type_: str,
        code: str,
        message: str,
        *,
        details: Any = None,
        headers: Mapping[str, str] | None = None,
        retry_after_ms: int | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.type_ = type_
        self.code = code
        self.message = message
        self.details = details
        self.headers = dict(headers or {})
        self.retry_after_ms = retry_after_ms


def invalid_request(
    message: str, *, code: str = "invalid_request", details: Any = None
) -> SandboxError:
    return SandboxError(400, "invalid_request", code, message, details=details)


def not_found(message: str, *, code: str = "not_found") -> SandboxError:
    return SandboxError(404, "not_found", code, message)


def validation_failed(fields: list[dict[str, str]]) -> SandboxError:
    names = ", ".join(field["field"] for field in fields)
    return SandboxError(
        422,
        "unprocessable",
        "validation_failed",
        f"Request validation failed: {names}.",
        details={"fields": fields},
    )


def unsupported_version(requested: str, supported: list[str]) -> SandboxError:
    listed = ", ".join(supported)
    message = f"Moda-Version '{requested}' is not supported. Supported versions: {listed}."
    return invalid_request(
        message,
        code="unsupported_version",
        details={"requested": requested, "supported": supported},
    )


def authentication_required() -> SandboxError:
    return SandboxError(
        401,
        "authentication",
        "authentication",
        "Missing or invalid API key. Send 'Authorization: Bearer moda_...'.",
        headers={"WWW-Authenticate": "Bearer"},
    )
