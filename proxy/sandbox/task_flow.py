"""Shared by task-returning routes: task building, concurrency cap, Prefer: wait."""

from typing import Any, Final

from aiohttp import web

from proxy.core.payload import JSONObject
from proxy.core.prefer import parse_prefer, wait_budget
from proxy.sandbox.account import Account, Effect
from proxy.sandbox.bodies import require_url
from proxy.sandbox.errors import SandboxError
from proxy.sandbox.http import json_response
from proxy.sandbox.keys import SANDBOX_STATE, SANDBOX_WEBHOOKS
from proxy.sandbox.prefer import (
    format_seconds,
    hold_until_terminal,
)
from proxy.sandbox.stamps import fresh_id
from proxy.sandbox.task_view import render_task
from proxy.sandbox.tasks import TERMINAL, Task, plan_from_prompt

CAP_RETRY_AFTER_SECONDS: Final = 30


def new_task(
    request: web.Request,
    *,
    kind: str,
    input_: dict[str, Any],
    planned_result: JSONObject,
    working_canvas_url: str | None = None,
) -> Task:
    store = request.app[SANDBOX_STATE]
    outcome, slow_cancel = plan_from_prompt(input_.get("prompt"))
    return Task(
        id=fresh_id("task"),
        kind=kind,
        input=input_,
        created_wall=store.clock.wall(),
        created_mono=store.clock.now(),
        queued_for=store.settings.queued_seconds,
        running_for=store.settings.running_seconds,
        outcome=outcome,
        slow_cancel=slow_cancel,
        planned_result=planned_result,
        working_canvas_url=working_canvas_url,
    )


def start(request: web.Request, account: Account, task: Task, on_success: Effect) -> None:
    account.start_task(task, on_success)
    event_type = {"design": "task.created", "remix": "canvas.remixed"}.get(
        task.kind, "brand_kit.created"
    )
    account.record_event(event_type, request.method, request.path, 202, task.created_wall)


def enforce_concurrency_cap(request: web.Request, account: Account) -> None:
    store = request.app[SANDBOX_STATE]
    limit = store.settings.max_active_tasks
    if account.active_capped_tasks(store.clock.now()) >= limit:
        raise SandboxError(
            429,
            "rate_limited",
            "concurrency_limit_exceeded",
            f"Too many design tasks in flight: at most {limit} may be active.",
            details={"limit": limit},
            headers={"Retry-After": str(CAP_RETRY_AFTER_SECONDS)},
            retry_after_ms=CAP_RETRY_AFTER_SECONDS * 1000,
        )


def check_callback_url(request: web.Request, url: str | None) -> None:
    allow_http = request.app[SANDBOX_STATE].settings.allow_http_callbacks
    require_url(url, "callback_url", frozenset({"https", "http"} if allow_http else {"https"}))


def watch_callback(request: web.Request, account: Account, task: Task, url: str | None) -> None:
    if url is not None:
        request.app[SANDBOX_WEBHOOKS].watch(account, task, url)


async def task_response(
    request: web.Request, account: Account, task: Task, *, status: int | None = None
) -> web.Response:
    """Holds for `Prefer: wait`, then answers 200 when the task is terminal, else 202.

    `status` overrides that choice (an idempotent replay is always a 200).
    """
    store = request.app[SANDBOX_STATE]
    requested = parse_prefer(request.headers.getall("Prefer", [])).wait
    budget = None if requested is None else wait_budget(requested, store.settings.max_wait_seconds)
    if budget is not None:
        await hold_until_terminal(task, budget, store.clock)
    account.settle(store.clock.now())
    envelope = render_task(task, store.clock.now())
    headers = {} if budget is None else {"Preference-Applied": f"wait={format_seconds(budget)}"}
    chosen = status if status is not None else (200 if envelope["status"] in TERMINAL else 202)
    return json_response(envelope, status=chosen, headers=headers)
