"""Legacy pages over an upstream offset lane, driven against an in-memory offset list."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proxy.core.offset_lanes import OffsetAnswer, OffsetLaneWalk
from proxy.core.pagination import PageFacts, PageRequest, WalkLimits

PAGE_SIZE = 100
LIMITS = WalkLimits(page_size=PAGE_SIZE, max_walk_pages=1000, count_max_pages=100)


class OffsetList:
    """Moda's search lane: `offset`/`limit` in, items and `has_more` out, a count if it counts."""

    def __init__(self, length: int, *, counts: bool = False, max_limit: int = PAGE_SIZE) -> None:
        self.items = list(range(length))
        self.counts = counts
        self.max_limit = max_limit
        self.reads: list[tuple[int, int]] = []

    def read(self, offset: int, limit: int) -> OffsetAnswer:
        assert 1 <= limit <= self.max_limit, "an upstream limit Moda would refuse"
        self.reads.append((offset, limit))
        end = offset + limit
        total = len(self.items) if self.counts else None
        return OffsetAnswer(self.items[offset:end], end < len(self.items), total)


def serve(
    upstream: OffsetList, page: PageRequest, limits: WalkLimits = LIMITS
) -> tuple[list[int], PageFacts]:
    walk = OffsetLaneWalk(page, limits)
    while (read := walk.next_fetch()) is not None:
        walk.receive(upstream.read(read.offset, read.limit))
    assert walk.fetches == len(upstream.reads)
    return walk.items, walk.facts()


@settings(max_examples=80, deadline=None)
@given(
    length=st.integers(0, 400),
    offset=st.integers(0, 500),
    limit=st.integers(1, 250),
    counts=st.booleans(),
)
def test_any_page_is_the_lists_slice_with_a_truthful_total(
    length: int, offset: int, limit: int, counts: bool
) -> None:
    upstream = OffsetList(length, counts=counts)
    items, facts = serve(upstream, PageRequest(offset, limit, ()))
    assert items == upstream.items[offset : offset + limit]
    assert facts.has_more is (offset + limit < length)
    if facts.total_is_exact:
        assert facts.total == length
    else:
        assert offset + len(items) < facts.total <= length
    window_reads = max(1, math.ceil(min(limit, max(length - offset, 0)) / PAGE_SIZE))
    if offset < length or offset == 0 or counts:
        assert len(upstream.reads) <= window_reads


@settings(max_examples=60, deadline=None)
@given(length=st.integers(0, 300), limit=st.integers(1, 100))
def test_a_page_within_one_upstream_page_costs_one_request(length: int, limit: int) -> None:
    for offset in range(0, length, limit):
        upstream = OffsetList(length)
        serve(upstream, PageRequest(offset, limit, ()))
        assert upstream.reads == [(offset, limit)]


def test_the_last_page_makes_the_total_exact() -> None:
    _, facts = serve(OffsetList(47), PageRequest(40, 20, ()))
    assert facts == PageFacts(40, 20, 47, True, False)


def test_a_page_with_more_behind_it_has_a_lower_bound_total() -> None:
    _, facts = serve(OffsetList(300), PageRequest(20, 5, ()))
    assert facts == PageFacts(20, 5, 26, False, True)


def test_a_counted_lane_is_exact_on_every_page() -> None:
    upstream = OffsetList(300, counts=True)
    _, facts = serve(upstream, PageRequest(20, 5, ()))
    assert (facts, upstream.reads) == (PageFacts(20, 5, 300, True, True), [(20, 5)])


@settings(max_examples=60, deadline=None)
@given(length=st.integers(0, 2000), past=st.integers(0, 100_000))
def test_a_page_past_the_end_finds_the_exact_total_by_bisection(length: int, past: int) -> None:
    upstream = OffsetList(length)
    offset = length + past
    items, facts = serve(upstream, PageRequest(offset, 20, ()))
    assert items == []
    assert facts == PageFacts(offset, 20, length, True, False)
    probes = upstream.reads[1:]
    assert all(limit == 1 for _, limit in probes)
    assert len(probes) <= math.ceil(math.log2(offset + 1)) + 1


def test_past_the_counting_budget_the_total_is_the_lower_bound_found() -> None:
    upstream = OffsetList(700)
    tight = WalkLimits(PAGE_SIZE, 1000, count_max_pages=2)
    _, facts = serve(upstream, PageRequest(1000, 20, ()), tight)
    assert upstream.reads == [(1000, 20), (500, 1), (751, 1)]
    assert facts == PageFacts(1000, 20, 502, False, False)


def test_without_a_counting_budget_a_page_past_the_end_costs_one_request() -> None:
    upstream = OffsetList(10)
    _, facts = serve(upstream, PageRequest(40, 20, ()), WalkLimits(PAGE_SIZE, 1000, 0))
    assert (facts, len(upstream.reads)) == (PageFacts(40, 20, 0, False, False), 1)


def test_an_empty_page_that_claims_more_is_served_without_a_search() -> None:
    walk = OffsetLaneWalk(PageRequest(40, 20, ()), LIMITS)
    walk.receive(OffsetAnswer([], has_more=True))
    assert walk.next_fetch() is None
    assert walk.facts() == PageFacts(40, 20, 41, False, True)


def test_a_window_larger_than_an_upstream_page_is_read_in_upstream_pages() -> None:
    upstream = OffsetList(1000)
    items, facts = serve(upstream, PageRequest(50, 250, ()))
    assert items == list(range(50, 300))
    assert upstream.reads == [(50, 100), (150, 100), (250, 50)]
    assert facts == PageFacts(50, 250, 301, False, True)


def test_receiving_with_nothing_pending_is_a_programming_error() -> None:
    walk = OffsetLaneWalk(PageRequest(0, 20, ()), LIMITS)
    walk.receive(OffsetAnswer([1, 2], has_more=False))
    with pytest.raises(RuntimeError):
        walk.receive(OffsetAnswer([], has_more=False))
