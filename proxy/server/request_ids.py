"""Which X-Request-ID names a request, end to end.

A sane client id names the request everywhere: the upstream receives it, the answer carries it and
the access line records it; an upstream id that differs is kept as `upstream_request_id`. A client
id that is not sane is replaced by one the proxy makes up, in all three places. When the client
sent none, the upstream's own id names the request (it is what Moda's support can look up); only
when neither exists does the proxy make one up.
"""

from aiohttp import web
from multidict import CIMultiDict

from proxy.core.envelope import is_sane_request_id
from proxy.server.convert import REQUEST_ID as REQUEST_ID_HEADER
from proxy.server.facts import request_facts
from proxy.server.id_source import new_request_id


def request_id(request: web.Request) -> str:
    """The client's own X-Request-ID when it is sane, else one made up on first need."""
    facts = request_facts(request)
    known = facts.request_id
    if known is None:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        known = facts.request_id = given if is_sane_request_id(given) else new_request_id()
    return known


def forward_request_id(request: web.Request, upstream_headers: CIMultiDict[str]) -> None:
    """The upstream gets the client's id, or the proxy's own in place of one that is not sane."""
    if REQUEST_ID_HEADER in upstream_headers:
        upstream_headers[REQUEST_ID_HEADER] = request_id(request)


def adopt_upstream_request_id(request: web.Request, upstream_id: str | None) -> None:
    """Called once the upstream answered: its id names the request if the client gave none, and
    is kept aside as `upstream_request_id` if it differs from the id that does."""
    if upstream_id is None:
        return
    facts = request_facts(request)
    if facts.request_id is None and REQUEST_ID_HEADER not in request.headers:
        facts.request_id = upstream_id
    elif upstream_id != request_id(request):
        facts.upstream_request_id = upstream_id
