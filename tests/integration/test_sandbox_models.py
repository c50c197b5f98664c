"""Every route of the sandbox answers in the shape its upstream model describes
(`translations/models/upstream.py`): one case per route, and a route without a case fails, so a
new sandbox route cannot ship unchecked. Behaviour is tested in test_sandbox*.py; this holds
shapes."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

import pytest
from aiohttp import FormData
from pydantic import BaseModel
from yarl import URL

from proxy.sandbox.app import create_sandbox_app
from proxy.sandbox.settings import SandboxSettings
from tests.fakes.clock import FakeClock
from tests.fakes.sandbox_client import Client, ClientFactory, caller
from translations.models import upstream

TOKEN: Final = "moda_test_models"
call = caller(TOKEN)
PNG: Final = b"\x89PNG\r\n\x1a\n" + b"model pixels"

Answer = tuple[int, Any]


@dataclass(frozen=True)
class Check:
    """One request of a route's case, and the model its answer must satisfy."""

    model: type[BaseModel]
    ask: Callable[[Client], Awaitable[Answer]]


async def _first(client: Client, path: str, key: str = "data") -> Any:
    _, page = await call(client, "GET", path)
    return page[key][0]


async def _new_task(client: Client) -> Any:
    return (await call(client, "POST", "/v1/tasks", {"prompt": "A launch deck"}))[1]


async def _upload(client: Client) -> Answer:
    data = FormData()
    data.add_field("file", PNG, filename="logo.png", content_type="image/png")
    response = await client.post(
        "/v1/uploads", data=data, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    return response.status, await response.json()


async def _export(client: Client, wait: bool) -> Answer:
    canvas = await _first(client, "/v1/canvases")
    flag = "true" if wait else "false"
    return await call(client, "POST", f"/v1/canvases/{canvas['id']}/export?format=pdf&wait={flag}")


async def _export_status(client: Client) -> Answer:
    _, started = await _export(client, wait=False)
    path = f"/v1/canvases/{started['canvas_id']}/export-status?task_id={started['task_id']}"
    return await call(client, "GET", path)


async def _search(client: Client) -> Answer:
    word = (await _first(client, "/v1/canvases"))["name"].split()[0]
    return await call(client, "GET", f"/v1/canvases/search?q={word}")


async def _get_task(client: Client) -> Answer:
    return await call(client, "GET", f"/v1/tasks/{(await _new_task(client))['id']}")


async def _cancel_task(client: Client) -> Answer:
    return await call(client, "POST", f"/v1/tasks/{(await _new_task(client))['id']}/cancel")


async def _remix(client: Client, prompt: str | None) -> Answer:
    body = {"canvas_id": (await _first(client, "/v1/canvases"))["id"]}
    return await call(
        client, "POST", "/v1/remix", body if prompt is None else {**body, "prompt": prompt}
    )


async def _canvas(client: Client, suffix: str = "") -> Answer:
    canvas = await _first(client, "/v1/canvases")
    return await call(client, "GET", f"/v1/canvases/{canvas['id']}{suffix}")


async def _brand_kit(client: Client, method: str, body: Any = None) -> Answer:
    kit = await _first(client, "/v1/brand-kits")
    return await call(client, method, f"/v1/brand-kits/{kit['id']}", body)


def _get(path: str) -> Callable[[Client], Awaitable[Answer]]:
    return lambda client: call(client, "GET", path)


def _post(path: str, body: Any) -> Callable[[Client], Awaitable[Answer]]:
    return lambda client: call(client, "POST", path, body)


CASES: Final[dict[str, tuple[Check, ...]]] = {
    "POST /v1/tasks": (Check(upstream.Task, _post("/v1/tasks", {"prompt": "A launch deck"})),),
    "GET /v1/tasks": (Check(upstream.TaskList, _get("/v1/tasks?limit=100")),),
    "GET /v1/tasks/{id}": (Check(upstream.Task, _get_task),),
    "POST /v1/tasks/{id}/cancel": (Check(upstream.Task, _cancel_task),),
    "POST /v1/remix": (
        Check(upstream.Task, lambda client: _remix(client, "Make it blue")),
        Check(upstream.Task, lambda client: _remix(client, None)),
    ),
    "POST /v1/brand-kits": (
        Check(upstream.BrandKit, _post("/v1/brand-kits", {"name": "Acme", "colors": []})),
        Check(upstream.Task, _post("/v1/brand-kits", {"url": "https://acme.example"})),
    ),
    "PATCH /v1/brand-kits/{id}": (
        Check(upstream.BrandKit, lambda client: _brand_kit(client, "PATCH", {"tagline": "Hi"})),
    ),
    "GET /v1/canvases": (Check(upstream.CanvasList, _get("/v1/canvases?limit=100")),),
    "GET /v1/canvases/search": (Check(upstream.CanvasSearchPage, _search),),
    "GET /v1/canvases/{id}": (Check(upstream.Canvas, _canvas),),
    "GET /v1/canvases/{id}/pages": (
        Check(upstream.CanvasPages, lambda client: _canvas(client, "/pages")),
    ),
    "GET /v1/brand-kits": (Check(upstream.BrandKitList, _get("/v1/brand-kits")),),
    "GET /v1/brand-kits/{id}": (
        Check(upstream.BrandKit, lambda client: _brand_kit(client, "GET")),
    ),
    "GET /v1/organizations": (Check(upstream.OrganizationList, _get("/v1/organizations")),),
    "GET /v1/events": (Check(upstream.EventList, _get("/v1/events?limit=100")),),
    "GET /v1/whoami": (Check(upstream.Whoami, _get("/v1/whoami")),),
    "GET /v1/credits": (Check(upstream.AccountCredits, _get("/v1/credits")),),
    "GET /v1/usage": (Check(upstream.Usage, _get("/v1/usage")),),
    "POST /v1/uploads": (Check(upstream.FileUpload, _upload),),
    "POST /v1/uploads/from-url": (
        Check(
            upstream.FileUpload,
            _post("/v1/uploads/from-url", {"source_url": "https://cdn.example.com/logo.svg"}),
        ),
    ),
    "POST /v1/canvases/{id}/export": (
        Check(upstream.CanvasExport, lambda client: _export(client, wait=True)),
        Check(upstream.CanvasExport, lambda client: _export(client, wait=False)),
    ),
    "GET /v1/canvases/{id}/export-status": (Check(upstream.ExportStatus, _export_status),),
}


async def _uploaded_file(client: Client) -> tuple[str, bytes, str]:
    _, record = await _upload(client)
    return record["url"], PNG, "image/png"


async def _exported_file(client: Client) -> tuple[str, bytes, str]:
    _, export = await _export(client, wait=True)
    return export["url"], b"%PDF", "application/pdf"


# Stored files are bytes, not JSON: their check is the content a client was promised.
FILE_CASES: Final = {
    "GET /api/v2/images/ref/{name}": _uploaded_file,
    "GET /storage/exports/{name}": _exported_file,
}


def _sandbox_routes() -> set[str]:
    app = create_sandbox_app(SandboxSettings(), FakeClock())
    routes = [
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None
    ]
    gets = {path for method, path in routes if method == "GET"}
    # aiohttp adds HEAD beside every GET; it answers as the GET does, without a body.
    assert {path for method, path in routes if method == "HEAD"} == gets
    return {f"{method} {path}" for method, path in routes if method != "HEAD"}


def test_every_sandbox_route_has_a_case_and_every_case_a_route() -> None:
    assert _sandbox_routes() == CASES.keys() | FILE_CASES.keys()
    assert not CASES.keys() & FILE_CASES.keys()


@pytest.mark.parametrize("route", sorted(CASES))
async def test_each_route_answers_in_its_upstream_model(
    make_sandbox: ClientFactory, route: str
) -> None:
    for check in CASES[route]:
        status, body = await check.ask(await make_sandbox())
        assert 200 <= status < 300, (route, body)
        check.model.model_validate(body)


@pytest.mark.parametrize("route", sorted(FILE_CASES))
async def test_each_stored_file_is_served_as_promised(
    make_sandbox: ClientFactory, route: str
) -> None:
    sandbox = await make_sandbox()
    url, starts_with, content_type = await FILE_CASES[route](sandbox)
    response = await sandbox.get(URL(url).path_qs)  # signed URLs: no API key
    assert URL(url).path.startswith(route.split(" ")[1].split("{")[0])
    assert response.status == 200
    assert response.content_type == content_type
    assert (await response.read()).startswith(starts_with)
