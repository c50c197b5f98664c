"""The pure offset-over-cursor planning, driven against an in-memory cursor list."""

import math

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from proxy.core.pagination import (
    Checkpoints,
    ListState,
    PageFacts,
    PageRequest,
    PageWalk,
    WalkLimits,
    next_page_size,
    parse_page_request,
)
from proxy.errors import ClientRequestError

PAGE_SIZE = 100


class CursorList:
    """An upstream list whose cursors name a position and the era they were issued in.

    Cursors for positions in `expired` stop working once a new era begins (as a TTL would).
    """

    def __init__(self, length: int, expired: frozenset[int] = frozenset()) -> None:
        self.items = list(range(length))
        self.expired = expired
        self.era = 0
        self.fetches = 0

    def fetch(
        self, position: int, cursor: str | None, size: int
    ) -> tuple[list[int], str | None] | None:
        self.fetches += 1
        start, era = (0, self.era) if cursor is None else map(int, cursor.split("@"))
        assert start == position, "a checkpoint must start where it says"
        if era < self.era and start in self.expired:
            return None
        end = start + size
        return self.items[start:end], (f"{end}@{self.era}" if end < len(self.items) else None)


def serve(
    upstream: CursorList, state: ListState, page: PageRequest, limits: WalkLimits
) -> tuple[list[int], PageFacts]:
    walk = PageWalk(state, page, limits)
    while (fetch := walk.next_fetch()) is not None:
        answer = upstream.fetch(fetch.position, fetch.cursor, fetch.size)
        if answer is None:
            walk.refuse_cursor()
        else:
            walk.receive(*answer)
    return walk.items, walk.facts()


def fresh_state() -> ListState:
    return ListState(Checkpoints(max_anchors=1000, page_size=PAGE_SIZE))


LIMITS = WalkLimits(page_size=PAGE_SIZE, max_walk_pages=1000, count_max_pages=100)


@settings(max_examples=60, deadline=None)
@given(
    length=st.integers(0, 650),
    limit=st.integers(1, 250),
    expired=st.frozensets(st.integers(1, 650), max_size=20),
)
def test_reading_in_order_visits_every_item_once_with_exact_totals(
    length: int, limit: int, expired: frozenset[int]
) -> None:
    upstream, state = CursorList(length, expired), fresh_state()
    seen: list[int] = []
    offset = 0
    while True:
        upstream.era += 1
        items, facts = serve(upstream, state, PageRequest(offset, limit, ()), LIMITS)
        seen.extend(items)
        assert facts == PageFacts(offset, limit, length, True, len(seen) < length)
        if not facts.has_more:
            break
        offset += limit
    assert seen == upstream.items


@settings(max_examples=40, deadline=None)
@given(length=st.integers(1, 900), limit=st.integers(1, 100))
def test_each_page_after_the_first_costs_one_upstream_request(length: int, limit: int) -> None:
    upstream, state = CursorList(length), fresh_state()
    serve(upstream, state, PageRequest(0, limit, ()), LIMITS)
    assert upstream.fetches <= 1 + math.ceil(length / PAGE_SIZE)
    for offset in range(limit, length, limit):
        before = upstream.fetches
        serve(upstream, state, PageRequest(offset, limit, ()), LIMITS)
        assert upstream.fetches - before == 1


@settings(max_examples=40, deadline=None)
@given(length=st.integers(0, 700), offset=st.integers(0, 800), limit=st.integers(1, 100))
@example(length=2, offset=0, limit=1)  # the bound one past the items seen is the whole list
def test_a_cold_jump_walks_whole_upstream_pages_then_reads_the_window(
    length: int, offset: int, limit: int
) -> None:
    upstream = CursorList(length)
    no_counting = WalkLimits(PAGE_SIZE, 1000, count_max_pages=0)
    items, facts = serve(upstream, fresh_state(), PageRequest(offset, limit, ()), no_counting)
    assert items == upstream.items[offset : offset + limit]
    assert upstream.fetches <= offset // PAGE_SIZE + 2
    assert facts.has_more is (offset + limit < length)
    if facts.total_is_exact:
        assert facts.total == length
    else:
        # A lower bound: one past the items seen, which the next cursor proves exist.
        assert length >= facts.total > offset + len(items)


def test_without_a_counting_budget_total_is_a_lower_bound_flagged_inexact() -> None:
    upstream = CursorList(500)
    no_counting = WalkLimits(PAGE_SIZE, 1000, count_max_pages=0)
    items, facts = serve(upstream, fresh_state(), PageRequest(0, 20, ()), no_counting)
    assert len(items) == 20
    assert facts == PageFacts(0, 20, 21, False, True)


def test_an_offset_past_the_end_needs_no_request_once_total_is_known() -> None:
    upstream, state = CursorList(30), fresh_state()
    serve(upstream, state, PageRequest(0, 20, ()), LIMITS)
    before = upstream.fetches
    items, facts = serve(upstream, state, PageRequest(100, 20, ()), LIMITS)
    assert (items, facts, upstream.fetches) == ([], PageFacts(100, 20, 30, True, False), before)


def test_a_walk_deeper_than_its_budget_is_refused() -> None:
    shallow = WalkLimits(PAGE_SIZE, max_walk_pages=3, count_max_pages=0)
    with pytest.raises(ClientRequestError) as caught:
        serve(CursorList(10_000), fresh_state(), PageRequest(5000, 20, ()), shallow)
    assert caught.value.details == {"fields": [{"field": "query.offset"}]}


@pytest.mark.parametrize(
    ("position", "target", "expected"),
    [(0, 20, 20), (20, 40, 20), (0, 9020, 100), (30, 9020, 70), (90, 110, 20), (100, 0, 100)],
)
def test_next_page_size_aligns_only_while_skipping(
    position: int, target: int, expected: int
) -> None:
    assert next_page_size(position, target, PAGE_SIZE) == expected


def test_checkpoints_keep_anchors_up_to_their_cap_and_a_few_recent_ones() -> None:
    checkpoints = Checkpoints(max_anchors=2, page_size=PAGE_SIZE)
    for position in (100, 200, 300):
        checkpoints.remember(position, f"a{position}")
    for position in range(1, 40):
        checkpoints.remember(position, f"r{position}")
    assert checkpoints.nearest(250) == (200, "a200")
    assert checkpoints.nearest(350) == (200, "a200")
    assert checkpoints.nearest(39) == (39, "r39")
    assert checkpoints.nearest(5) == (0, None)  # the oldest recent ones were let go
    checkpoints.forget(200)
    assert checkpoints.nearest(250) == (100, "a100")
    assert len(checkpoints) == 1 + 16


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ((), PageRequest(0, 20, ())),
        ((("offset", "40"), ("limit", "7")), PageRequest(40, 7, ())),
        (
            (("status", "x"), ("limit", "100"), ("a", "1")),
            PageRequest(0, 100, (("a", "1"), ("status", "x"))),
        ),
    ],
)
def test_parse_page_request_reads_offset_limit_and_keeps_filters_sorted(
    query: tuple[tuple[str, str], ...], expected: PageRequest
) -> None:
    assert parse_page_request(query, default_limit=20, max_limit=100) == expected


@pytest.mark.parametrize(
    "query",
    [
        (("offset", "-1"),),
        (("offset", "²"),),
        (("offset", "99999999999"),),
        (("limit", "0"),),
        (("limit", "101"),),
        (("limit", " "),),
        (("offset", "1"), ("offset", "2")),
        (("cursor", "abc"),),
    ],
)
def test_parse_page_request_refuses_what_a_legacy_client_could_not_send(
    query: tuple[tuple[str, str], ...],
) -> None:
    with pytest.raises(ClientRequestError):
        parse_page_request(query, default_limit=20, max_limit=100)


class CountedCursorList(CursorList):
    """A cursor list whose pages also carry `total`, as Moda ships brand kits."""

    def __init__(self, length: int, reported_total: int | None = None) -> None:
        super().__init__(length)
        self.reported_total = length if reported_total is None else reported_total

    def fetch_counted(
        self, position: int, cursor: str | None, size: int
    ) -> tuple[list[int], str | None, int]:
        answer = self.fetch(position, cursor, size)
        assert answer is not None
        return (*answer, self.reported_total)


def serve_counted(
    upstream: CountedCursorList, state: ListState, page: PageRequest
) -> tuple[list[int], PageFacts]:
    walk = PageWalk(state, page, LIMITS)
    while (fetch := walk.next_fetch()) is not None:
        walk.receive(*upstream.fetch_counted(fetch.position, fetch.cursor, fetch.size))
    return walk.items, walk.facts()


@settings(max_examples=40, deadline=None)
@given(length=st.integers(0, 900), limit=st.integers(1, 100))
def test_a_counted_list_costs_one_upstream_request_a_page_from_the_first_on(
    length: int, limit: int
) -> None:
    upstream, state = CountedCursorList(length), fresh_state()
    offset = 0
    while True:
        before = upstream.fetches
        items, facts = serve_counted(upstream, state, PageRequest(offset, limit, ()))
        assert upstream.fetches - before == 1
        assert items == upstream.items[offset : offset + limit]
        assert facts == PageFacts(offset, limit, length, True, offset + limit < length)
        if not facts.has_more:
            break
        offset += limit


def test_a_count_below_the_items_already_read_is_raised_to_them() -> None:
    upstream = CountedCursorList(500, reported_total=3)
    items, facts = serve_counted(upstream, fresh_state(), PageRequest(0, 20, ()))
    assert len(items) == 20
    assert facts == PageFacts(0, 20, 20, True, False)


def test_the_end_of_the_list_outranks_a_count_that_disagrees() -> None:
    upstream = CountedCursorList(30, reported_total=999)
    _, facts = serve_counted(upstream, fresh_state(), PageRequest(0, 100, ()))
    assert facts == PageFacts(0, 100, 30, True, False)


def test_a_cursor_refused_while_counting_is_forgotten_and_counting_resumes_before_it() -> None:
    upstream, state = CursorList(450, expired=frozenset({100})), fresh_state()
    one_counted_page = WalkLimits(PAGE_SIZE, 1000, count_max_pages=1)
    serve(upstream, state, PageRequest(0, 20, ()), one_counted_page)  # remembers 20 and 100
    upstream.era += 1
    walk = PageWalk(state, PageRequest(0, 20, ()), LIMITS)
    while (fetch := walk.next_fetch()) is not None:
        answer = upstream.fetch(fetch.position, fetch.cursor, fetch.size)
        if answer is None:
            assert walk.counting
            walk.refuse_cursor()
        else:
            walk.receive(*answer)
    assert walk.forgotten == [100]
    assert walk.facts() == PageFacts(0, 20, 450, True, True)


def test_counting_stopped_after_a_failure_leaves_a_lower_bound() -> None:
    upstream = CursorList(500)
    walk = PageWalk(fresh_state(), PageRequest(0, 20, ()), LIMITS)
    while not walk.counting:
        fetch = walk.next_fetch()
        assert fetch is not None
        answer = upstream.fetch(fetch.position, fetch.cursor, fetch.size)
        assert answer is not None
        walk.receive(*answer)
    assert walk.next_fetch() is not None
    walk.stop_counting()
    assert walk.next_fetch() is None
    assert walk.facts() == PageFacts(0, 20, 21, False, True)


def test_an_answer_with_no_fetch_pending_is_a_programming_error() -> None:
    walk = PageWalk(fresh_state(), PageRequest(0, 20, ()), LIMITS)
    walk.receive([1, 2], None)
    assert walk.next_fetch() is None
    with pytest.raises(RuntimeError, match="no upstream fetch is pending"):
        walk.receive([3], None)
