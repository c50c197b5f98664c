"""The catch-all route: negotiate the version, then translate or pass through."""

from aiohttp import web

from proxy.core.engine import VersionPlan
from proxy.core.routes import RouteMatch
from proxy.core.versioning import negotiate_version
from proxy.keys import (
    BUNDLE,
    PLANS,
    SETTINGS,
    UNVERSIONED_PLAN,
    WAIT_HUB,
    WEBHOOK_RELAY,
)
from proxy.server.convert import MODA_VERSION
from proxy.server.facts import request_facts
from proxy.server.passthrough import pass_through
from proxy.server.prefer import requested_wait
from proxy.server.route_labels import route_label
from proxy.server.translate import translate


def _unversioned(request: web.Request, raw_path: str) -> tuple[VersionPlan, RouteMatch] | None:
    """A client that names no version, on a route only the pre-versioning API had."""
    if MODA_VERSION in request.headers:
        return None
    plan = request.app.get(UNVERSIONED_PLAN)
    if plan is None:
        return None
    match = plan.routes.match(request.method, raw_path)
    return None if match is None else (plan, match)


async def _serve_unversioned(
    request: web.Request, plan: VersionPlan, match: RouteMatch
) -> web.StreamResponse:
    facts = request_facts(request)
    facts.served_version = plan.version
    facts.route_label = str(match.route)
    facts.error_steps = plan.errors.get(match.route, ())
    return await translate(request, plan, match)


async def proxy_request(request: web.Request) -> web.StreamResponse:
    app = request.app
    raw_path = request.rel_url.raw_path
    unversioned = _unversioned(request, raw_path)
    if unversioned is not None:
        return await _serve_unversioned(request, *unversioned)
    settings = app[SETTINGS]
    version = negotiate_version(
        request.headers.get(MODA_VERSION), settings.versions.default, app[BUNDLE].supported
    )
    facts = request_facts(request)
    facts.served_version = version
    plan = app[PLANS][version]
    match = plan.routes.match(request.method, raw_path)
    wait = requested_wait(request, settings.prefer_wait, app[WAIT_HUB].routes.held)
    if wait is not None:
        facts.route_label = str(wait[0].route)
        return await translate(request, plan, wait[0], wait_budget=wait[1])
    if match is None:
        facts.route_label = route_label(request.method, raw_path)
        return await pass_through(request, version)
    facts.route_label = match.route.label
    return await translate(request, plan, match)


async def relay_webhook(request: web.Request) -> web.StreamResponse:
    request_facts(request).route_label = "POST /-/webhooks/relay/{token}"
    return await request.app[WEBHOOK_RELAY].handle(request)
