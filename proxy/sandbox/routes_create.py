"""Remix: a task, or without a prompt a copy made at once."""

from aiohttp import web

from proxy.sandbox.account import Account
from proxy.sandbox.bodies import (
    RemixBody,
    echo_input,
    parse_body,
)
from proxy.sandbox.http import account_of, read_json
from proxy.sandbox.keys import SANDBOX_STATE
from proxy.sandbox.plans import (
    Plan,
    check_brand_kit,
    find_canvas,
    plan_remix,
)
from proxy.sandbox.stamps import fresh_id
from proxy.sandbox.task_flow import (
    check_callback_url,
    enforce_concurrency_cap,
    new_task,
    start,
    task_response,
    watch_callback,
)
from proxy.sandbox.tasks import Task


def add_create_routes(app: web.Application) -> None:
    app.router.add_post("/v1/remix", remix)


async def remix(request: web.Request) -> web.Response:
    body = parse_body(RemixBody, await read_json(request))
    check_callback_url(request, body.callback_url)
    account = account_of(request)
    source = find_canvas(account, body.canvas_id)
    check_brand_kit(account, body.brand_kit_id)
    plan = plan_remix(account, source, body.new_name)
    if body.prompt is None:
        task = _duplicate_now(request, account, plan, body)
    else:
        enforce_concurrency_cap(request, account)
        task = new_task(request, kind="remix", input_=echo_input(body), planned_result=plan.result)
        start(request, account, task, plan.on_success)
    watch_callback(request, account, task, body.callback_url)
    return await task_response(request, account, task)


def _duplicate_now(request: web.Request, account: Account, plan: Plan, body: RemixBody) -> Task:
    """A promptless remix is a plain copy: done at once, under an id no route finds."""
    clock = request.app[SANDBOX_STATE].clock
    task = Task(
        id=fresh_id("task"),
        kind="remix",
        input=echo_input(body),
        created_wall=clock.wall(),
        created_mono=clock.now(),
        queued_for=0.0,
        running_for=0.0,
        planned_result=plan.result,
    )
    plan.on_success(task.created_wall)
    account.charge(task, used=0)
    account.record_event("canvas.remixed", request.method, request.path, 200, task.created_wall)
    return task
