"""What the proxy learns about a request while serving it, read back by metrics and the access line.

One slotted object per request, rather than one key per fact in the request's own mapping: that
mapping answers `key in request` and `request.get(key)` for a missing key by raising and catching
a KeyError, which several facts cost on every request.
"""

from typing import Final

from aiohttp import web

from proxy.core.engine import Step


class RequestFacts:
    __slots__ = (
        "changes_applied",
        "credential",
        "credential_known",
        "error_steps",
        "failed_change",
        "request_id",
        "route_label",
        "served_version",
        "translation_seconds",
        "unsupported_version",
        "upstream_request_id",
        "upstream_seconds",
    )

    def __init__(self) -> None:
        # The id naming the request end to end (see proxy.server.request_ids).
        self.request_id: str | None = None
        self.upstream_request_id: str | None = None
        self.served_version: str | None = None
        self.route_label: str | None = None
        self.upstream_seconds: float | None = None
        self.translation_seconds: float | None = None
        self.changes_applied: tuple[str, ...] = ()
        self.failed_change: str | None = None
        # A route's own error shape (the pre-versioning job routes add `detail`).
        self.error_steps: tuple[Step, ...] = ()
        self.unsupported_version = False
        # The credential's fingerprint, hashed on first need (see proxy.server.credential).
        self.credential: str | None = None
        self.credential_known = False


_FACTS: Final = web.RequestKey("facts", RequestFacts)


def begin_facts(request: web.Request) -> RequestFacts:
    """Called first thing for every request (by the outermost middleware)."""
    facts = request[_FACTS] = RequestFacts()
    return facts


def request_facts(request: web.Request) -> RequestFacts:
    try:
        return request[_FACTS]
    except KeyError:  # a request that met no observing middleware (the admin listener's)
        return begin_facts(request)
