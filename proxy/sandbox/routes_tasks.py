"""Design tasks: start (idempotency, concurrency cap), read, list and cancel."""

from aiohttp import web

from proxy.sandbox.account import Account, IdempotencyRecord
from proxy.sandbox.bodies import StartTaskBody, echo_input, parse_body
from proxy.sandbox.errors import (
    SandboxError,
    invalid_request,
    not_found,
    validation_failed,
)
from proxy.sandbox.http import account_of, json_response, read_json
from proxy.sandbox.idempotency import body_fingerprint, replayed_id
from proxy.sandbox.keys import SANDBOX_STATE, SANDBOX_WEBHOOKS
from proxy.sandbox.paging import list_response
from proxy.sandbox.paths import normalize_id, path_id
from proxy.sandbox.plans import check_brand_kit, plan_design
from proxy.sandbox.task_flow import (
    check_callback_url,
    enforce_concurrency_cap,
    new_task,
    start,
    task_response,
    watch_callback,
)
from proxy.sandbox.task_view import render_task
from proxy.sandbox.tasks import CANONICAL_STATUSES, TERMINAL, Task


def add_task_routes(app: web.Application) -> None:
    app.router.add_post("/v1/tasks", start_task)
    app.router.add_get("/v1/tasks", list_tasks)
    app.router.add_get("/v1/tasks/{id}", get_task)
    app.router.add_post("/v1/tasks/{id}/cancel", cancel_task)


async def start_task(request: web.Request) -> web.Response:
    raw = await read_json(request)
    body = parse_body(StartTaskBody, raw)
    _reject_conflicting_targets(body)
    check_callback_url(request, body.callback_url)
    account = account_of(request)
    fingerprint = body_fingerprint(raw)
    replayed = replayed_id(
        account.idempotency,
        body.idempotency_key,
        fingerprint,
        noun="task",
        id_field="task_id",
    )
    task_started = account.tasks.get(replayed) if replayed is not None else None
    if task_started is not None:
        return await task_response(request, account, task_started, status=200)
    check_brand_kit(account, body.brand_kit_id)
    plan = plan_design(account, body)
    enforce_concurrency_cap(request, account)
    task = new_task(
        request,
        kind="design",
        input_=echo_input(body),
        planned_result=plan.result,
        working_canvas_url=plan.working_canvas_url,
    )
    start(request, account, task, plan.on_success)
    if body.idempotency_key is not None:
        account.idempotency[body.idempotency_key] = IdempotencyRecord(
            body_fingerprint(raw), task.id
        )
    watch_callback(request, account, task, body.callback_url)
    return await task_response(request, account, task)


def _reject_conflicting_targets(body: StartTaskBody) -> None:
    if body.template_canvas_id is None:
        return
    clashing = [
        name for name in ("canvas_id", "conversation_id") if getattr(body, name) is not None
    ]
    if clashing:
        message = f"template_canvas_id cannot be combined with {clashing[0]}."
        raise validation_failed(
            [
                {
                    "field": "body.template_canvas_id",
                    "code": "conflicting_fields",
                    "message": message,
                }
            ]
        )


async def get_task(request: web.Request) -> web.Response:
    account = account_of(request)
    task = _find_task(account, path_id(request, "task"))
    return json_response(render_task(task, request.app[SANDBOX_STATE].clock.now()))


async def list_tasks(request: web.Request) -> web.Response:
    account = account_of(request)
    now = request.app[SANDBOX_STATE].clock.now()
    filters = _task_filters(request)

    def keep(task: Task) -> bool:
        return all(_matches(task, name, wanted, now) for name, wanted in filters.items())

    return list_response(
        request,
        account,
        account.tasks,
        lambda task: render_task(task, now),
        filters=filters,
        keep=keep,
    )


def _task_filters(request: web.Request) -> dict[str, str]:
    filters: dict[str, str] = {}
    if (status := request.query.get("status")) is not None:
        if status not in CANONICAL_STATUSES:
            allowed = ", ".join(sorted(CANONICAL_STATUSES))
            raise invalid_request(
                f"status must be one of: {allowed}.",
                details={"fields": [{"field": "query.status", "code": "enum", "value": status}]},
            )
        filters["status"] = status
    if (canvas := request.query.get("canvas_id")) is not None:
        filters["canvas_id"] = normalize_id(canvas, "cvs", "query.canvas_id")
    return filters


def _matches(task: Task, name: str, wanted: str, now: float) -> bool:
    status = task.status(task.elapsed(now))
    if name == "status":
        # `canceling` is outside the public enum: the task is still running until acked.
        return wanted == ("running" if status == "canceling" else status)
    result = task.planned_result if status == "succeeded" else None
    return wanted in (task.input.get("canvas_id"), (result or {}).get("canvas_id"))


async def cancel_task(request: web.Request) -> web.Response:
    account = account_of(request)
    store = request.app[SANDBOX_STATE]
    task = _find_task(account, path_id(request, "task"))
    elapsed = task.elapsed(store.clock.now())
    status = task.status(elapsed)
    if status in TERMINAL:
        raise SandboxError(
            409,
            "conflict",
            "task_not_cancelable",
            f"Task {task.id} is already {status} and cannot be canceled.",
            details={"status": status},
        )
    if status != "canceling":
        task.cancel(elapsed, store.settings.cancel_ack_seconds)
        account.record_event("task.canceled", request.method, request.path, 200, store.clock.wall())
        request.app[SANDBOX_WEBHOOKS].nudge(task.id)
    return await task_response(request, account, task)


def _find_task(account: Account, task_id: str) -> Task:
    task = account.tasks.get(task_id)
    if task is None:
        raise not_found(f"Task {task_id} not found")
    return task
