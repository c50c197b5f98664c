"""Path ids: Moda accepts a prefixed id or a bare UUID in the path (moda-api.md §5)."""

import contextlib

from aiohttp import web

from proxy.core.ids import (
    is_bare_uuid,
    is_prefixed_id,
    prefixed_from_uuid,
    uuid_from_prefixed,
)
from proxy.sandbox.errors import invalid_request


def path_id(request: web.Request, prefix: str) -> str:
    """The canonical prefixed id named by the `{id}` path segment."""
    return normalize_id(request.match_info["id"], prefix, "path.id")


def normalize_id(raw: str, prefix: str, field: str) -> str:
    if is_bare_uuid(raw):
        return prefixed_from_uuid(prefix, raw)
    if is_prefixed_id(raw, prefix):
        # A 26-character body can still hold more than 128 bits: that id is malformed too.
        with contextlib.suppress(ValueError):
            return prefixed_from_uuid(prefix, str(uuid_from_prefixed(raw)))
    raise invalid_request(
        f"{raw!r} is not a valid {prefix}_ id or UUID.",
        code="invalid_id_format",
        details={"field": field, "value": raw},
    )
