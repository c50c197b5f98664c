"""`GET /v1/canvases/search`: an offset lane, as Moda ships it (moda-api.md §2.6b, §8.4)."""

import itertools
from typing import Final

from aiohttp import web

from proxy.sandbox.http import account_of, json_response
from proxy.sandbox.paging import parse_limit
from proxy.sandbox.queries import bad_query, missing_query, parse_int

MAX_OFFSET: Final = 999_999_999


async def search_canvases(request: web.Request) -> web.Response:
    """Case-insensitive substring match on names, newest first; an empty query matches all.

    The official CLI sends `q`, the docs name `query`; `q` wins when both come.
    """
    query = request.query.get("q", request.query.get("query"))
    if query is None:
        raise missing_query("q")
    if "cursor" in request.query:
        # An offset lane never issues cursors: one sent here is a client walking the wrong lane.
        raise bad_query(
            "cursor",
            "canvases/search pages by offset, not cursor: send offset and limit.",
            request.query["cursor"],
            code="not_supported",
        )
    limit = parse_limit(request.query.get("limit"))
    offset = parse_int(request.query.get("offset"), "offset", 0, MAX_OFFSET, 0)
    needle = query.casefold()
    account = account_of(request)
    matches = (c for c in account.canvases.newest_first() if needle in str(c["name"]).casefold())
    # One item past the page tells whether more remain, without counting the rest.
    window = list(itertools.islice(matches, offset, offset + limit + 1))
    page = [dict(canvas) for canvas in window[:limit]]
    return json_response(
        {
            "canvases": page,
            "returned": len(page),
            "limit": limit,
            "offset": offset,
            "has_more": len(window) > limit,
        }
    )
