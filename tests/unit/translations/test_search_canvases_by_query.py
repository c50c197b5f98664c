from proxy.core.versioning import MigrationContext
from translations.changes.search_canvases_by_query import send_query_as_q

CONTEXT = MigrationContext()


def test_the_legacy_query_is_also_sent_as_q() -> None:
    query = (("limit", "5"), ("query", "Carousel"))
    assert send_query_as_q(query, CONTEXT) == (*query, ("q", "Carousel"))


def test_a_client_that_sends_q_is_left_alone() -> None:
    query = (("q", "Deck"), ("query", "Carousel"))
    assert send_query_as_q(query, CONTEXT) == query


def test_no_search_text_adds_nothing() -> None:
    assert send_query_as_q((("limit", "5"),), CONTEXT) == (("limit", "5"),)
