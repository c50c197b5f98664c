"""Which request targets the proxy may forward, decided from the raw path alone. Pure."""

from collections.abc import Iterable
from typing import Final
from urllib.parse import unquote

from proxy.errors import ClientRequestError, ForbiddenTarget, HeadersTooLarge

_DOT_SEGMENTS: Final = frozenset({".", ".."})


def check_target(method: str, raw_path: str) -> None:
    """Refuse what could make the upstream see another resource than the one the client named.

    CONNECT and non-origin-form targets would turn the proxy into an open tunnel; dot segments
    (plain or percent-encoded) could be resolved differently by the upstream than by route matching.
    """
    if method == "CONNECT" or not raw_path.startswith("/"):
        raise ForbiddenTarget(
            f"{method} to this target is not supported by the proxy.",
            details={"method": method},
        )
    if ("." in raw_path or "%" in raw_path) and any(
        unquote(segment) in _DOT_SEGMENTS for segment in raw_path.split("/")
    ):
        raise ClientRequestError(
            "Paths may not contain '.' or '..' segments.", details={"path": raw_path}
        )


def check_header_size(raw_headers: Iterable[tuple[bytes, bytes]], limit: int) -> None:
    total = sum(len(name) + len(value) + 4 for name, value in raw_headers)  # ": " and CRLF
    if total > limit:
        raise HeadersTooLarge(
            f"The request headers are larger than {limit} bytes.", details={"max_bytes": limit}
        )
