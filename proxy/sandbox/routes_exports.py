"""`POST /v1/canvases/{id}/export` and `GET /v1/canvases/{id}/export-status?task_id=`."""

from dataclasses import dataclass
from typing import Final

from aiohttp import web

from proxy.core.ids import uuid_from_prefixed
from proxy.core.payload import JSONObject
from proxy.sandbox.account import Account
from proxy.sandbox.canvas_pages import canvas_pages
from proxy.sandbox.errors import SandboxError, not_found
from proxy.sandbox.exports import (
    MIME_TYPES,
    Export,
    delivered_format,
    render_export,
    render_export_status,
    warnings_for,
)
from proxy.sandbox.file_types import stand_in_bytes
from proxy.sandbox.http import account_of, json_response
from proxy.sandbox.keys import SANDBOX_STATE
from proxy.sandbox.paths import normalize_id, path_id
from proxy.sandbox.plans import find_canvas
from proxy.sandbox.queries import (
    bad_query,
    missing_query,
    parse_bool,
    parse_number,
    parse_optional_int,
)
from proxy.sandbox.routes_storage import EXPORTS_PREFIX
from proxy.sandbox.stamps import fresh_id
from proxy.sandbox.storage import Blob
from proxy.sandbox.tasks import Task

ACTIVE_JOB_RETRY_SECONDS: Final = 10
_FORMATS: Final = frozenset({"png", "jpeg", "pdf", "pptx"})
_ANIMATED: Final = frozenset({"mp4", "gif"})
_ALIASES: Final = {"jpg": "jpeg"}


@dataclass(frozen=True)
class ExportOptions:
    format: str
    page_number: int | None
    pixel_ratio: float | None
    flatten: bool
    wait: bool


def add_export_routes(app: web.Application) -> None:
    app.router.add_post("/v1/canvases/{id}/export", export_canvas)
    app.router.add_get("/v1/canvases/{id}/export-status", export_status)


def _options(request: web.Request) -> ExportOptions:
    query = request.query
    raw_format = query.get("format", "png")
    chosen = _ALIASES.get(raw_format.lower(), raw_format.lower())
    if chosen not in _FORMATS | _ANIMATED:
        allowed = ", ".join(sorted(_FORMATS | _ANIMATED))
        raise bad_query("format", f"format must be one of: {allowed}.", raw_format, code="enum")
    return ExportOptions(
        format=chosen,
        page_number=parse_optional_int(query.get("page_number"), "page_number", 1, 10_000),
        pixel_ratio=parse_number(query.get("pixel_ratio"), "pixel_ratio", 1, 4),
        flatten=parse_bool(query.get("flatten"), "flatten", default=True),
        wait=parse_bool(query.get("wait"), "wait", default=True),
    )


async def export_canvas(request: web.Request) -> web.Response:
    options = _options(request)
    account = account_of(request)
    store = request.app[SANDBOX_STATE]
    canvas = find_canvas(account, path_id(request, "cvs"))
    total_pages = len(canvas_pages(canvas))
    _check_pages(options, total_pages)
    _check_no_active_design(account, canvas["id"], store.clock.now())
    export = _start(request, canvas, options, total_pages)
    account.exports[export.task_id] = export
    account.record_event("canvas.exported", request.method, request.path, 200, store.clock.wall())
    return json_response(render_export(export, store.clock.now()))


def _check_pages(options: ExportOptions, total_pages: int) -> None:
    page = options.page_number
    if page is not None and page > total_pages:
        message = f"page_number must be from 1 to {total_pages}, the canvas's pages."
        raise bad_query("page_number", message, str(page), code="out_of_range")
    if options.format in _ANIMATED:
        if page is None:
            raise bad_query(
                "page_number",
                f"{options.format} renders one page's animation: send page_number.",
                "",
                code="missing",
            )
        # Sandbox canvases are all still: an animated export has nothing to render.
        raise SandboxError(
            422,
            "unprocessable",
            "no_animation",
            f"Page {page} has no animation to export as {options.format}.",
        )


def _check_no_active_design(account: Account, canvas_id: str, now: float) -> None:
    busy = next((task for task in account.pending_tasks() if _edits(task, canvas_id, now)), None)
    if busy is not None:
        raise SandboxError(
            409,
            "conflict",
            "canvas_active_job",
            f"Canvas {canvas_id} has an active design task; retry after it completes.",
            details={"task_id": busy.id},
            headers={"Retry-After": str(ACTIVE_JOB_RETRY_SECONDS)},
            retry_after_ms=ACTIVE_JOB_RETRY_SECONDS * 1000,
        )


def _edits(task: Task, canvas_id: str, now: float) -> bool:
    """A design task still at work on the canvas: named by id, or by its conversation."""
    targets = (task.input.get("canvas_id"), (task.planned_result or {}).get("canvas_id"))
    return task.kind == "design" and canvas_id in targets and not task.is_terminal(now)


def _start(
    request: web.Request, canvas: JSONObject, options: ExportOptions, total_pages: int
) -> Export:
    """Stores the artifact now (its bytes are fixed); its URL is shown once it is done."""
    store = request.app[SANDBOX_STATE]
    task_id = fresh_id("task")
    delivered = delivered_format(options.format, options.page_number, total_pages)
    path = f"{EXPORTS_PREFIX}{uuid_from_prefixed(task_id)}.{delivered}"
    label = f"export of {canvas['id']} page {options.page_number or 'all'} as {delivered}"
    store.storage.put(path, _blob(delivered, label, canvas["name"]))
    return Export(
        task_id=task_id,
        canvas_id=canvas["id"],
        canvas_url=canvas["url"],
        format=delivered,
        total_pages=1 if options.page_number is not None else total_pages,
        started=store.clock.now(),
        render_seconds=0.0 if options.wait else store.settings.export_seconds,
        url=store.storage.signed_url(str(request.url.origin()), path),
        warnings=warnings_for(delivered),
    )


def _blob(delivered: str, label: str, canvas_name: str) -> Blob:
    mime_type = MIME_TYPES[delivered]
    return Blob(stand_in_bytes(mime_type, label), mime_type, f"{canvas_name}.{delivered}")


async def export_status(request: web.Request) -> web.Response:
    raw_task = request.query.get("task_id")
    if raw_task is None:
        raise missing_query("task_id")
    task_id = normalize_id(raw_task, "task", "query.task_id")
    account = account_of(request)
    canvas = find_canvas(account, path_id(request, "cvs"))
    export = account.exports.get(task_id)
    if export is None or export.canvas_id != canvas["id"]:
        raise not_found(f"No export {task_id} on canvas {canvas['id']}")
    return json_response(render_export_status(export, request.app[SANDBOX_STATE].clock.now()))
