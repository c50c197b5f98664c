"""The route label of a request in metrics and access lines, whatever version it is served.

A label is the template of a route the proxy knows (Moda's published endpoint catalogue, which
holds every route a translation rewrites), or `unmatched`. Raw paths and ids never become labels,
so the label set stays as small as the catalogue.
"""

from typing import Final

from proxy.core.routes import Route, RouteTable
from proxy.metrics import UNMATCHED

# moda-api.md §1 (2026-05-01), plus /v1/whoami, which the official CLI and readiness probe call.
_CATALOGUE: Final = (
    "POST /v1/tasks",
    "GET /v1/tasks",
    "GET /v1/tasks/{id}",
    "POST /v1/tasks/{id}/cancel",
    "POST /v1/remix",
    "GET /v1/canvases",
    "GET /v1/canvases/search",
    "GET /v1/canvases/{id}",
    "GET /v1/canvases/{id}/tokens",
    "GET /v1/canvases/{id}/pages",
    "POST /v1/canvases/{id}/export",
    "GET /v1/canvases/{id}/export-status",
    "POST /v1/canvases/{id}/share",
    "POST /v1/share_links/resolve",
    "GET /v1/brand-kits",
    "POST /v1/brand-kits",
    "GET /v1/brand-kits/{id}",
    "PATCH /v1/brand-kits/{id}",
    "DELETE /v1/brand-kits/{id}",
    "GET /v1/brand-kits/{id}/images",
    "POST /v1/brand-kits/{id}/images",
    "DELETE /v1/brand-kits/{id}/images/{image_id}",
    "POST /v1/uploads",
    "POST /v1/uploads/from-url",
    "GET /v1/organizations",
    "GET /v1/credits",
    "GET /v1/usage",
    "GET /v1/events",
    "GET /v1/whoami",
)
_ROUTES: Final = tuple(Route(*entry.split(" ", 1)) for entry in _CATALOGUE)
_KNOWN: Final = RouteTable.of(_ROUTES)
_LABELS: Final = {route: str(route) for route in _ROUTES}


def route_label(method: str, raw_path: str) -> str:
    match = _KNOWN.match(method, raw_path)
    return UNMATCHED if match is None else _LABELS[match.route]
