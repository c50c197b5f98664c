"""The offset-pagination emulator: drives a page walk against the upstream, per credential.

Cursor lanes are walked with a `PageWalk` and the checkpoints it remembers; offset lanes are read at
the client's own offset with an `OffsetLaneWalk`, and remember nothing.
"""

import dataclasses
from typing import Any, Final

from proxy.config import PaginationSettings
from proxy.core.messages import ApiRequest, ApiResponse, MigrationFacts, Send
from proxy.core.offset_lanes import OffsetLaneWalk, OffsetRead
from proxy.core.pagination import (
    Fetch,
    ListState,
    OffsetPagination,
    PageFacts,
    PageRequest,
    PageWalk,
    WalkLimits,
    parse_page_request,
)
from proxy.metrics import ComponentStats
from proxy.server.list_pages import cursor_page, offset_page
from proxy.state import ListStore, empty_list_state, list_key

TOTAL_EXACT_HEADER: Final = "X-Total-Exact"


def _fetch_request(request: ApiRequest, page: PageRequest, fetch: Fetch) -> ApiRequest:
    cursor = (("cursor", fetch.cursor),) if fetch.cursor else ()
    query = (*page.filters, ("limit", str(fetch.size)), *cursor)
    return dataclasses.replace(request, query=query)


def _read_request(request: ApiRequest, page: PageRequest, read: OffsetRead) -> ApiRequest:
    query = (*page.filters, ("offset", str(read.offset)), ("limit", str(read.limit)))
    return dataclasses.replace(request, query=query)


class OffsetPaginator:
    """Answers one client page as `{data: [...]}` plus the facts the change renders."""

    def __init__(
        self,
        settings: PaginationSettings,
        store: ListStore,
        stats: ComponentStats,
    ) -> None:
        self._settings = settings
        self._store = store
        self._stats = stats
        self._limits = WalkLimits(
            settings.upstream_page_size, settings.max_walk_pages, settings.count_max_pages
        )

    def _list_key(self, request: ApiRequest, page: PageRequest) -> str | None:
        if request.credential is None:  # nothing is remembered for requests without a credential
            return None
        return list_key(request.credential, request.path, page.filters)

    async def _load(self, key: str | None, page: PageRequest) -> ListState:
        if key is None:
            return empty_list_state(self._settings)
        return await self._store.load(key, page.offset)

    async def __call__(
        self, emulation: OffsetPagination, request: ApiRequest, send: Send, version: str
    ) -> ApiResponse:
        page = parse_page_request(
            request.query,
            default_limit=self._settings.default_limit,
            max_limit=self._settings.max_limit,
        )
        if emulation.upstream_paging == "offset":
            return await self._read_offset_lane(emulation, request, page, send)
        return await self._walk_cursor_lane(emulation, request, page, send)

    async def _walk_cursor_lane(
        self, emulation: OffsetPagination, request: ApiRequest, page: PageRequest, send: Send
    ) -> ApiResponse:
        key = self._list_key(request, page)
        state = await self._load(key, page)
        walk = PageWalk(state, page, self._limits)
        last: ApiResponse | None = None
        while (fetch := walk.next_fetch()) is not None:
            response = await send(_fetch_request(request, page, fetch))
            if response.status == 400 and fetch.cursor is not None:
                walk.refuse_cursor()
            elif not response.is_success and walk.counting:
                walk.stop_counting()
            elif not response.is_success:
                return response
            else:
                walk.receive(*cursor_page(response))
                last = response
        self._stats.pagination_pages[str(emulation.route)] += walk.fetches
        if key is not None:
            await self._store.save(key, state, walk)
        return self._page_response(walk.items, walk.facts(), last)

    async def _read_offset_lane(
        self, emulation: OffsetPagination, request: ApiRequest, page: PageRequest, send: Send
    ) -> ApiResponse:
        walk = OffsetLaneWalk(page, self._limits)
        last: ApiResponse | None = None
        while (read := walk.next_fetch()) is not None:
            response = await send(_read_request(request, page, read))
            if not response.is_success and walk.probing:
                break  # the window is read; only the search for the list's end failed
            if not response.is_success:
                return response
            walk.receive(offset_page(response, emulation.items_key, read.limit))
            last = response
        self._stats.pagination_pages[str(emulation.route)] += walk.fetches
        return self._page_response(walk.items, walk.facts(), last)

    @staticmethod
    def _page_response(items: list[Any], facts: PageFacts, last: ApiResponse | None) -> ApiResponse:
        headers = dict(last.headers) if last else {}
        headers[TOTAL_EXACT_HEADER] = "true" if facts.total_is_exact else "false"
        return ApiResponse(
            status=200,
            headers=headers,
            body=b"",
            document={"data": items},
            facts=MigrationFacts(page=facts),
        )
