"""Lists are paged with `?offset=&limit=` and answer `{<plural key>: [...], total, offset,
limit, has_more}` instead of `{data, next_cursor}`: `jobs` for tasks, `canvases` (also for
search), `brand_kits`, `organizations` and `events`. `limit` defaults to 20; `has_more` is true
exactly when items exist past the page. The `X-Total-Exact` header says whether `total` was
counted to the end of the list.

Moda pages most lists by cursor, but canvas search by `offset`/`limit` (`upstream_paging` below
says which): those pages are read at the client's own offset instead of walked.

Derived: `total` when it is a lower bound (the end of the list was not reached)."""

from collections.abc import Callable
from typing import Final

from proxy.core.derived import DerivedField
from proxy.core.messages import learned
from proxy.core.pagination import OffsetPagination
from proxy.core.payload import JSONObject
from proxy.core.versioning import MigrationContext, VersionChange
from translations.common import (
    LIST_BRAND_KITS,
    LIST_CANVASES,
    LIST_EVENTS,
    LIST_ORGANIZATIONS,
    LIST_TASKS,
    SEARCH_CANVASES,
)

LISTS: Final = (
    OffsetPagination(LIST_TASKS, "jobs"),
    OffsetPagination(LIST_CANVASES, "canvases"),
    OffsetPagination(SEARCH_CANVASES, "canvases", upstream_paging="offset"),
    OffsetPagination(LIST_BRAND_KITS, "brand_kits"),
    OffsetPagination(LIST_ORGANIZATIONS, "organizations"),
    OffsetPagination(LIST_EVENTS, "events"),
)


def offset_page(items_key: str) -> Callable[[JSONObject, MigrationContext], JSONObject]:
    def to_offset_page(page: JSONObject, context: MigrationContext) -> JSONObject:
        facts = learned(context.facts.page, "page")
        items = page["data"]
        if not isinstance(items, list):
            raise TypeError("a page's `data` must be a list")
        return {
            items_key: items,
            "total": facts.total,
            "offset": facts.offset,
            "limit": facts.limit,
            "has_more": facts.has_more,
        }

    return to_offset_page


def total_is_a_lower_bound(page: JSONObject, context: MigrationContext) -> bool:
    facts = learned(context.facts.page, "page")
    return not facts.total_is_exact


_DERIVED: Final = (DerivedField("total", total_is_a_lower_bound),)

CHANGE = VersionChange(
    name=__name__,
    summary=__doc__,
    responses={listing.route: offset_page(listing.items_key) for listing in LISTS},
    derived=dict.fromkeys((listing.route for listing in LISTS), _DERIVED),
    emulations=LISTS,
)
