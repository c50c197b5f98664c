"""Legacy pages over an upstream offset list (Moda's canvas search). Pure.

Moda ships some lists as offset lanes (`moda-api.md` §2.6b): `?offset=&limit=` answers
`{<key>: [...], returned, limit, offset, has_more}`, with no cursor and no `total`. A legacy page
maps onto them directly, so the client's window is read at its own offset, in one request when it
fits in one upstream page. `total` is exact when the upstream counts the list or the window
reaches the end of it; otherwise it is a lower bound (one past the last item known to exist).

A window wholly past the end says only that the end lies before it. A legacy API answered such a
page with the list's real `total`, so the walk finds the end by bisection with one-item reads, at
most `count_max_pages` of them; past that budget `total` is the lower bound found so far.
"""

from dataclasses import dataclass
from typing import Any

from proxy.core.pagination import PageFacts, PageRequest, WalkLimits


@dataclass(frozen=True, slots=True)
class OffsetRead:
    """Ask the upstream for `limit` items starting at `offset`."""

    offset: int
    limit: int


@dataclass(frozen=True, slots=True)
class OffsetAnswer:
    """One upstream offset page, as far as paging is concerned."""

    items: list[Any]
    has_more: bool
    counted_total: int | None = None


class OffsetLaneWalk:
    """Serving one client page from an offset lane, without I/O.

    `next_fetch` names each upstream read and `receive` takes its answer, until the page is ready.
    """

    def __init__(self, page: PageRequest, limits: WalkLimits) -> None:
        self._page, self._limits = page, limits
        self.items: list[Any] = []
        self.fetches = 0
        self._at_least = 0  # every index below this holds an item
        self._at_most: int | None = None  # no index at or above this does
        self._counted: int | None = None
        self._window_more = False
        self._probes = 0
        self._next: OffsetRead | None = self._window_read(page.offset)

    def _window_read(self, position: int) -> OffsetRead:
        return OffsetRead(position, min(self._page.end - position, self._limits.page_size))

    @property
    def probing(self) -> bool:
        """The window is read; the walk is bisecting for the list's end."""
        return self._probes > 0

    def next_fetch(self) -> OffsetRead | None:
        """The next upstream read, or None when the client's page is ready."""
        return self._next

    def receive(self, answer: OffsetAnswer) -> None:
        read = self._pending()
        self.fetches += 1
        items = answer.items[: read.limit]
        reached = read.offset + len(items)
        self._learn(read, reached, answer)
        if self.probing:
            self._next = self._probe()
            return
        self.items.extend(items)
        self._window_more = answer.has_more
        if answer.has_more and len(items) == read.limit and reached < self._page.end:
            self._next = self._window_read(reached)
        elif not self.items:
            self._next = self._probe()
        else:
            self._next = None

    def _learn(self, read: OffsetRead, reached: int, answer: OffsetAnswer) -> None:
        if reached > read.offset or answer.has_more:
            self._at_least = max(self._at_least, reached + (1 if answer.has_more else 0))
        if not answer.has_more:
            self._at_most = reached if self._at_most is None else min(self._at_most, reached)
        if answer.counted_total is not None:
            self._counted = answer.counted_total

    def _total(self) -> int | None:
        """The list's size when it is known: counted upstream, or both ends of it seen."""
        if self._counted is not None:
            upper = self._counted if self._at_most is None else min(self._counted, self._at_most)
            return max(upper, self._at_least)
        if self._at_most is not None and self._at_most <= self._at_least:
            return self._at_least
        return None

    def _probe(self) -> OffsetRead | None:
        """The next one-item read bisecting between the known first gap and the known items."""
        if self._at_most is None or self._total() is not None:
            return None  # an empty page that claims more to come says nothing of the end
        if self._probes >= self._limits.count_max_pages:
            return None
        self._probes += 1
        return OffsetRead((self._at_least + self._at_most) // 2, 1)

    def _pending(self) -> OffsetRead:
        if self._next is None:
            raise RuntimeError("no upstream read is pending")
        return self._next

    def facts(self) -> PageFacts:
        page, returned = self._page, len(self.items)
        total = self._total()
        if total is not None:
            return PageFacts(page.offset, page.limit, total, True, page.offset + returned < total)
        return PageFacts(page.offset, page.limit, self._at_least, False, self._window_more)
