"""Cursor pages over a sorted collection: `limit`, signed cursors, the shipped envelope.

Moda ships `{data, next_cursor, returned, has_more, limit, total}` on its cursor lists
(moda-api.md §2.6b); `total` is a count of the (filtered) list where Moda counts, else null.
"""

from collections.abc import Callable, Mapping
from typing import Final, TypeVar

from aiohttp import web

from proxy.core.payload import JSONObject
from proxy.sandbox.account import Account
from proxy.sandbox.collection import SortedCollection
from proxy.sandbox.cursors import (
    InvalidCursorError,
    cursor_scope,
    decode_cursor,
    encode_cursor,
)
from proxy.sandbox.errors import invalid_request
from proxy.sandbox.http import json_response
from proxy.sandbox.keys import SANDBOX_STATE
from proxy.sandbox.queries import parse_int

T = TypeVar("T")
DEFAULT_LIMIT: Final = 20
MAX_LIMIT: Final = 100


def parse_limit(raw: str | None) -> int:
    return parse_int(raw, "limit", 1, MAX_LIMIT, DEFAULT_LIMIT)


def list_response(
    request: web.Request,
    account: Account,
    collection: SortedCollection[T],
    render: Callable[[T], JSONObject],
    *,
    filters: Mapping[str, str] | None = None,
    keep: Callable[[T], bool] | None = None,
    counted: bool = False,
) -> web.Response:
    """One page, newest first. `offset` is ignored, as on Moda's cursor lanes.

    `counted` lists carry the number of items the filters keep in `total`; others `null`.
    """
    store = request.app[SANDBOX_STATE]
    settings, now = store.settings, store.clock.now()
    limit = parse_limit(request.query.get("limit"))
    scope = cursor_scope(account.credential, request.path, filters or {})
    token = request.query.get("cursor") or None
    try:
        after = (
            None
            if token is None
            else decode_cursor(
                secret=settings.cursor_secret,
                token=token,
                scope=scope,
                now=now,
                ttl=settings.cursor_ttl_seconds,
            )
        )
    except InvalidCursorError as error:
        raise invalid_request(
            "The cursor is invalid, expired, or belongs to another list. Restart without a cursor.",
            code="invalid_cursor",
            details={"field": "query.cursor", "reason": str(error)},
        ) from error
    items, resume_after = collection.page(after, limit, keep)
    next_cursor = None
    if resume_after is not None:
        next_cursor = encode_cursor(
            secret=settings.cursor_secret,
            scope=scope,
            position=resume_after,
            issued_at=now,
        )
    total = _count(collection, keep) if counted else None
    return json_response(
        {
            "data": [render(item) for item in items],
            "next_cursor": next_cursor,
            "returned": len(items),
            "has_more": next_cursor is not None,
            "limit": limit,
            "total": total,
        }
    )


def _count(collection: SortedCollection[T], keep: Callable[[T], bool] | None) -> int:
    if keep is None:
        return len(collection)
    return sum(1 for item in collection.newest_first() if keep(item))
