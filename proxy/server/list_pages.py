"""Reading the upstream's list pages in every envelope Moda ships (`moda-api.md` §2.6b).

A cursor page is `{data, next_cursor}`, often with `returned`, `has_more`, `limit` and `total`
beside them; an offset page is `{<key> | data: [...], returned, limit, offset, has_more}`. Extra
keys are tolerated. A `total` that is not a whole number (null, absent, or anything else) means the
upstream did not count the list, and the proxy counts or bounds it itself.
"""

from typing import Any

import orjson

from proxy.core.messages import ApiResponse
from proxy.core.offset_lanes import OffsetAnswer
from proxy.errors import UpstreamContractError


def _document(response: ApiResponse, shape: str) -> dict[str, Any]:
    try:
        document = orjson.loads(response.body)
    except orjson.JSONDecodeError as exc:
        raise _not_a_page(response, shape) from exc
    if not isinstance(document, dict):
        raise _not_a_page(response, shape)
    return document


def _not_a_page(response: ApiResponse, shape: str) -> UpstreamContractError:
    return UpstreamContractError(
        f"The upstream answered {response.status} with a body that is not {shape}.",
        details={"upstream_status": response.status},
    )


def counted_total(document: dict[str, Any]) -> int | None:
    total = document.get("total")
    if isinstance(total, int) and not isinstance(total, bool) and total >= 0:
        return total
    return None


def cursor_page(response: ApiResponse) -> tuple[list[Any], str | None, int | None]:
    """The items, the next cursor and the upstream's count of the list, if it counted it."""
    document = _document(response, "a cursor page")
    items, cursor = document.get("data"), document.get("next_cursor")
    if not isinstance(items, list) or not (cursor is None or isinstance(cursor, str)):
        raise _not_a_page(response, "a cursor page")
    return items, cursor or None, counted_total(document)


def offset_page(response: ApiResponse, items_key: str, asked: int) -> OffsetAnswer:
    """One offset page; without a `has_more` flag, a full page is taken to have more."""
    document = _document(response, "an offset page")
    items = document.get("data", document.get(items_key))
    if not isinstance(items, list):
        raise _not_a_page(response, "an offset page")
    has_more = document.get("has_more")
    if not isinstance(has_more, bool):
        has_more = len(items) >= asked
    return OffsetAnswer(items, has_more, counted_total(document))
