import pytest

from proxy.core.messages import MigrationFacts
from proxy.core.pagination import PageFacts
from proxy.core.versioning import MigrationContext
from translations.changes.use_offset_pagination_with_plural_keys import (
    LISTS,
    offset_page,
    total_is_a_lower_bound,
)


def _context(facts: PageFacts) -> MigrationContext:
    return MigrationContext(facts=MigrationFacts(page=facts))


def test_a_cursor_page_becomes_an_offset_page_under_its_plural_key() -> None:
    facts = PageFacts(offset=40, limit=2, total=123, total_is_exact=True, has_more=True)
    page = offset_page("canvases")({"data": [{"id": "cvs_1"}, {"id": "cvs_2"}]}, _context(facts))
    assert page == {
        "canvases": [{"id": "cvs_1"}, {"id": "cvs_2"}],
        "total": 123,
        "offset": 40,
        "limit": 2,
        "has_more": True,
    }
    assert list(page) == ["canvases", "total", "offset", "limit", "has_more"]


def test_every_legacy_list_has_its_documented_key() -> None:
    keys = {str(listing.route): listing.items_key for listing in LISTS}
    assert keys == {
        "GET /v1/tasks": "jobs",
        "GET /v1/canvases": "canvases",
        "GET /v1/canvases/search": "canvases",
        "GET /v1/brand-kits": "brand_kits",
        "GET /v1/organizations": "organizations",
        "GET /v1/events": "events",
    }


def test_a_page_whose_data_is_not_a_list_is_refused() -> None:
    facts = PageFacts(0, 20, 0, True, False)
    with pytest.raises(TypeError):
        offset_page("events")({"data": {"id": 1}}, _context(facts))


@pytest.mark.parametrize(("exact", "derived"), [(True, False), (False, True)])
def test_total_is_derived_exactly_when_it_is_a_lower_bound(exact: bool, derived: bool) -> None:
    context = _context(PageFacts(0, 20, 21, exact, True))
    assert total_is_a_lower_bound({"data": []}, context) is derived
