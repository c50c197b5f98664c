"""Canvas search takes its text as `query`, as the 2026-04-12 documents name it. Moda's shipped
search reads `q`, so the proxy sends the text under both names and whichever the upstream reads
finds it; a client that already sends `q` is left as it is."""

from proxy.core.messages import Query
from proxy.core.versioning import MigrationContext, VersionChange
from translations.common import SEARCH_CANVASES


def send_query_as_q(query: Query, context: MigrationContext) -> Query:
    if any(key == "q" for key, _ in query):
        return query
    return (*query, *(("q", value) for key, value in query if key == "query"))


CHANGE = VersionChange(
    name=__name__,
    summary=__doc__,
    queries={SEARCH_CANVASES: send_query_as_q},
)
