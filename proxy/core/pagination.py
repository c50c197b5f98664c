"""Offset pages over cursor lists: the client's page, the cursors remembered, the walk. Pure.

The upstream only answers "the next N items after this cursor". A legacy client asks for "items
`offset` to `offset + limit`" and a `total`. The proxy remembers, per list, the cursor that starts
at each position it has passed (a checkpoint), and reaches a window by walking from the nearest
checkpoint at or before it. While skipping, walks step to multiples of the upstream page size, so
the checkpoints they leave behind (anchors) serve any later jump; a window itself is read in one
request whenever it fits in one upstream page.
"""

import bisect
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from proxy.core.messages import Query
from proxy.core.routes import Route
from proxy.errors import ClientRequestError

# Far beyond any real list, small enough that offset arithmetic stays cheap.
MAX_OFFSET: Final = 10_000_000
_PAGE_PARAMETERS: Final = frozenset({"offset", "limit"})
_RECENT_CHECKPOINTS: Final = 16


# How the upstream pages a list: opaque cursors, or `offset`/`limit` (moda-api.md §2.6b).
UpstreamPaging = Literal["cursor", "offset"]


@dataclass(frozen=True, slots=True)
class OffsetPagination:
    """The route's list is served as `{items_key: [...], total, offset, limit, has_more}`."""

    route: Route
    items_key: str
    upstream_paging: UpstreamPaging = "cursor"


@dataclass(frozen=True, slots=True)
class PageRequest:
    offset: int
    limit: int
    filters: Query

    @property
    def end(self) -> int:
        return self.offset + self.limit


def _invalid(field_name: str, message: str) -> ClientRequestError:
    return ClientRequestError(message, details={"fields": [{"field": f"query.{field_name}"}]})


def _whole_number(query: Query, name: str, default: int, low: int, high: int) -> int:
    values = [value for key, value in query if key == name]
    if not values:
        return default
    if len(values) > 1:
        raise _invalid(name, f"`{name}` may be given once.")
    text = values[0].strip()
    if not text.isascii() or not text.isdigit() or not low <= int(text) <= high:
        raise _invalid(name, f"`{name}` must be a whole number from {low} to {high}.")
    return int(text)


def parse_page_request(query: Query, *, default_limit: int, max_limit: int) -> PageRequest:
    """The page a client asked for; raises ClientRequestError (400) before anything is sent."""
    if any(key == "cursor" for key, _ in query):
        raise _invalid("cursor", "`cursor` is not a parameter of this version: page with `offset`.")
    offset = _whole_number(query, "offset", 0, 0, MAX_OFFSET)
    limit = _whole_number(query, "limit", default_limit, 1, max_limit)
    filters = tuple(sorted(pair for pair in query if pair[0] not in _PAGE_PARAMETERS))
    return PageRequest(offset, limit, filters)


def next_page_size(position: int, target: int, page_size: int) -> int:
    """How many items to ask for next, walking from `position` toward `target`."""
    remaining = target - position
    if 0 < remaining <= page_size:
        return remaining
    return page_size - position % page_size


@dataclass(slots=True)
class Checkpoints:
    """Cursors by the position of the first item they yield; position 0 needs no cursor."""

    max_anchors: int
    page_size: int
    _anchor_positions: list[int] = field(default_factory=list)
    _anchors: dict[int, str] = field(default_factory=dict)
    _recent: OrderedDict[int, str] = field(default_factory=OrderedDict)

    def __len__(self) -> int:
        return len(self._anchors) + len(self._recent)

    def remember(self, position: int, cursor: str) -> None:
        if position % self.page_size:
            self._recent[position] = cursor
            self._recent.move_to_end(position)
            if len(self._recent) > _RECENT_CHECKPOINTS:
                self._recent.popitem(last=False)
        elif position not in self._anchors and len(self._anchors) < self.max_anchors:
            bisect.insort(self._anchor_positions, position)
            self._anchors[position] = cursor
        elif position in self._anchors:
            self._anchors[position] = cursor

    def forget(self, position: int) -> None:
        self._recent.pop(position, None)
        if self._anchors.pop(position, None) is not None:
            self._anchor_positions.remove(position)

    def nearest(self, position: int) -> tuple[int, str | None]:
        """The checkpoint at or before `position` closest to it; `(0, None)` when none is."""
        best: tuple[int, str | None] = (0, None)
        index = bisect.bisect_right(self._anchor_positions, position)
        if index:
            anchor = self._anchor_positions[index - 1]
            best = (anchor, self._anchors[anchor])
        for recent, cursor in self._recent.items():
            if best[0] < recent <= position:
                best = (recent, cursor)
        return best

    def farthest(self) -> tuple[int, str | None]:
        return self.nearest(MAX_OFFSET * 2)


@dataclass(slots=True)
class ListState:
    """What the proxy knows about one list for one credential."""

    checkpoints: Checkpoints
    total: int | None = None


@dataclass(frozen=True, slots=True)
class PageFacts:
    offset: int
    limit: int
    total: int
    total_is_exact: bool
    has_more: bool


def page_facts(page: PageRequest, returned: int, total: int | None, seen: int) -> PageFacts:
    """`total` when the end was seen; otherwise a lower bound one past the items seen."""
    if total is not None:
        return PageFacts(page.offset, page.limit, total, True, page.offset + returned < total)
    lower_bound = max(seen, page.offset + returned) + 1
    return PageFacts(page.offset, page.limit, lower_bound, False, returned == page.limit)


def window_of(items: list[Any], start: int, page: PageRequest) -> list[Any]:
    """The items of one upstream page (starting at `start`) that fall inside the client's page."""
    low = max(page.offset - start, 0)
    high = max(page.end - start, 0)
    return items[low:high]


@dataclass(frozen=True, slots=True)
class Fetch:
    """Ask the upstream for `size` items starting at `position` (the list's start if no cursor)."""

    position: int
    cursor: str | None
    size: int


@dataclass(frozen=True, slots=True)
class WalkLimits:
    page_size: int
    max_walk_pages: int
    count_max_pages: int


class PageWalk:
    """Serving one client page, without I/O: it names each upstream fetch and takes the answer.

    First it reads the window from the nearest checkpoint; then, while `total` is unknown, it walks
    on toward the end of the list within the counting budget. A refused cursor is forgotten and the
    walk goes on from an earlier checkpoint; any other failure while counting only ends counting.
    What the walk learned (`remembered`, `forgotten`, `total_learned`) is kept for shared stores.
    """

    def __init__(self, state: ListState, page: PageRequest, limits: WalkLimits) -> None:
        self._state, self._page, self._limits = state, page, limits
        self.items: list[Any] = []
        self.remembered: list[tuple[int, str]] = []
        self.forgotten: list[int] = []
        self.total_learned = False
        self.fetches = 0
        self.counting = False
        self._seen = 0
        self._window_pages = 0
        self._counted_pages = 0
        self._next: Fetch | None = None
        self._restart_window()

    def _restart_window(self) -> None:
        self.items, self.counting = [], False
        total = self._state.total
        if total is not None and self._page.offset >= total:
            self._start_counting()
            return
        position, cursor = self._state.checkpoints.nearest(self._page.offset)
        self._next = self._fetch_from(position, cursor, self._page.end)

    def _start_counting(self) -> None:
        self.counting = True
        position, cursor = self._state.checkpoints.farthest()
        done = self._state.total is not None or self._limits.count_max_pages == 0
        self._next = None if done else self._fetch_from(position, cursor, 0)

    def _fetch_from(self, position: int, cursor: str | None, target: int) -> Fetch:
        return Fetch(position, cursor, next_page_size(position, target, self._limits.page_size))

    def next_fetch(self) -> Fetch | None:
        """The next upstream page to read, or None when the client's page is ready."""
        if self._next is not None and not self.counting:
            if self._window_pages >= self._limits.max_walk_pages:
                raise _invalid(
                    "offset", "This offset lies deeper than one request may walk; read in order."
                )
            self._window_pages += 1
        elif self._next is not None:
            self._counted_pages += 1
        return self._next

    def receive(
        self, items: list[Any], next_cursor: str | None, counted_total: int | None = None
    ) -> None:
        """One upstream page; `counted_total` is the list's size when the upstream counts it."""
        start = self._pending().position
        self.fetches += 1
        reached = start + len(items)
        self._seen = max(self._seen, reached)
        if not self.counting:
            self.items.extend(window_of(items, start, self._page))
        if next_cursor is None or not items:
            self._state.total = reached
            self.total_learned = True
            self._next = None
        else:
            if counted_total is not None:
                # A count below what was just read is stale; the items themselves are not.
                self._state.total = max(counted_total, reached)
                self.total_learned = True
            self._state.checkpoints.remember(reached, next_cursor)
            self.remembered.append((reached, next_cursor))
            self._next = self._fetch_from(
                reached, next_cursor, 0 if self.counting else self._page.end
            )
        if not self.counting and (self._next is None or reached >= self._page.end):
            self._start_counting()
        elif self.counting and self._counted_pages >= self._limits.count_max_pages:
            self._next = None

    def refuse_cursor(self) -> None:
        """The upstream refused the cursor just sent (expired, rotated): try an earlier one."""
        position = self._pending().position
        self._state.checkpoints.forget(position)
        self.forgotten.append(position)
        self.fetches += 1
        if self.counting:
            self._start_counting()
        else:
            self._restart_window()

    def _pending(self) -> Fetch:
        if self._next is None:
            raise RuntimeError("no upstream fetch is pending")
        return self._next

    def stop_counting(self) -> None:
        self.fetches += 1
        self._next = None

    def facts(self) -> PageFacts:
        return page_facts(self._page, len(self.items), self._state.total, self._seen)
