"""Read-only routes: canvases and their pages, brand kits, organizations, events."""

from aiohttp import web

from proxy.core.payload import JSONObject
from proxy.sandbox.canvas_pages import canvas_pages
from proxy.sandbox.errors import not_found
from proxy.sandbox.http import account_of, json_response
from proxy.sandbox.paging import list_response
from proxy.sandbox.paths import path_id
from proxy.sandbox.plans import find_canvas
from proxy.sandbox.routes_search import search_canvases


def add_catalog_routes(app: web.Application) -> None:
    app.router.add_get("/v1/canvases", list_canvases)
    # Before `/v1/canvases/{id}`: aiohttp matches routes in the order they were added.
    app.router.add_get("/v1/canvases/search", search_canvases)
    app.router.add_get("/v1/canvases/{id}", get_canvas)
    app.router.add_get("/v1/canvases/{id}/pages", list_canvas_pages)
    app.router.add_get("/v1/brand-kits", list_brand_kits)
    app.router.add_get("/v1/brand-kits/{id}", get_brand_kit)
    app.router.add_get("/v1/organizations", list_organizations)
    app.router.add_get("/v1/events", list_events)


def _copy(item: JSONObject) -> JSONObject:
    return dict(item)


async def list_canvases(request: web.Request) -> web.Response:
    account = account_of(request)
    return list_response(request, account, account.canvases, _copy)


async def get_canvas(request: web.Request) -> web.Response:
    account = account_of(request)
    return json_response(_copy(find_canvas(account, path_id(request, "cvs"))))


async def list_canvas_pages(request: web.Request) -> web.Response:
    """Not a paginated list: every page at once (moda-api.md §1)."""
    canvas = find_canvas(account_of(request), path_id(request, "cvs"))
    pages = canvas_pages(canvas)
    return json_response({"canvas_name": canvas["name"], "total_pages": len(pages), "pages": pages})


async def list_brand_kits(request: web.Request) -> web.Response:
    account = account_of(request)
    # "A true COUNT" on brand kits (moda-api.md §2.6b).
    return list_response(request, account, account.brand_kits, _copy, counted=True)


async def get_brand_kit(request: web.Request) -> web.Response:
    account = account_of(request)
    kit_id = path_id(request, "bk")
    kit = account.brand_kits.get(kit_id)
    if kit is None:
        raise not_found(f"Brand kit {kit_id} not found")
    return json_response(_copy(kit))


async def list_organizations(request: web.Request) -> web.Response:
    account = account_of(request)
    # A small per-user set, counted like brand kits; see the app docstring.
    return list_response(request, account, account.organizations, _copy, counted=True)


async def list_events(request: web.Request) -> web.Response:
    account = account_of(request)
    return list_response(request, account, account.events, _copy)
