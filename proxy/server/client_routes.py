"""`/-/clients` on the admin listener: the migration report as JSON or as a page, and forgetting.

- `GET /-/clients`: JSON, or the HTML page when the browser asks for HTML (`Accept: text/html`);
  `?format=json|html` chooses outright. `?format=snapshot` is the raw counts a supervisor merges.
- `DELETE /-/clients/{fingerprint}`: forgets every count of one client; 204, or 404 when none.
"""

import re
from typing import Any, Final

from aiohttp import web

from proxy.core.client_usage import OTHER, snapshot_to_json
from proxy.errors import ClientNotFound, ClientRequestError, ReportUnavailable
from proxy.keys import CLIENT_USAGE, PROXY_APP
from proxy.server.clients_page import render_page
from proxy.state.link import StateUnavailable

FORMATS: Final = ("json", "html", "snapshot")
_FINGERPRINT: Final = re.compile(r"[0-9a-f]{32}")


def report_format(request: web.Request) -> str:
    """The format asked for: `?format=`, else HTML for a browser, else JSON."""
    asked = request.query.get("format")
    if asked is not None:
        if asked not in FORMATS:
            raise ClientRequestError(
                f"format must be one of {', '.join(FORMATS)}.", details={"format": asked}
            )
        return asked
    return "html" if "text/html" in request.headers.get("Accept", "") else "json"


def report_response(report: dict[str, Any], chosen: str) -> web.Response:
    if chosen == "html":
        return web.Response(text=render_page(report), content_type="text/html")
    return web.json_response(report)


def checked_fingerprint(request: web.Request) -> str:
    fingerprint = request.match_info["fingerprint"]
    if fingerprint != OTHER and not _FINGERPRINT.fullmatch(fingerprint):
        raise ClientRequestError(
            "A client is named by its 32-hex-digit credential fingerprint, or `other`.",
            details={"fingerprint": fingerprint[:64]},
        )
    return fingerprint


async def clients(request: web.Request) -> web.Response:
    usage = request.app[PROXY_APP][CLIENT_USAGE]
    chosen = report_format(request)
    snapshot = await usage.snapshot()
    if chosen == "snapshot":
        return web.json_response(snapshot_to_json(snapshot))
    return report_response(usage.report(snapshot), chosen)


async def forget_client(request: web.Request) -> web.Response:
    fingerprint = checked_fingerprint(request)
    try:
        found = await request.app[PROXY_APP][CLIENT_USAGE].forget(fingerprint)
    except StateUnavailable as exc:
        raise ReportUnavailable("The shared state does not answer; try again.") from exc
    if not found:
        raise ClientNotFound("The report holds nothing for this client.")
    return web.Response(status=204)


def add_client_routes(app: web.Application) -> None:
    app.router.add_get("/-/clients", clients)
    app.router.add_delete("/-/clients/{fingerprint}", forget_client)
