"""Renders a sandbox task as the canonical Task envelope (moda-api.md §2.1)."""

import math
from typing import Final

from proxy.core.payload import JSONObject
from proxy.sandbox.stamps import iso
from proxy.sandbox.tasks import TERMINAL, Outcome, Task

POLL_HINT_MS: Final = 3000
_STEPS: Final = (
    (30, "planning", "Planning the layout and content."),
    (75, "drafting", "Drafting pages and copy."),
    (100, "rendering", "Rendering the final canvas."),
)
_ERRORS: Final = {
    Outcome.FAIL: {
        "message": "The design agent hit a transient error. A retry may succeed.",
        "retryable": True,
    },
    Outcome.DEAD: {
        "message": "The task failed on every attempt and was dead-lettered.",
        "retryable": False,
    },
    Outcome.EXPIRE: {
        "message": "The task expired in the queue before a worker took it. Retry it.",
        "retryable": True,
    },
}


def render_task(task: Task, now: float) -> JSONObject:
    elapsed = task.elapsed(now)
    status = task.status(elapsed)
    terminal = status in TERMINAL
    succeeded = status == "succeeded"
    result = task.planned_result if succeeded else None
    return {
        "id": task.id,
        "kind": task.kind,
        "status": status,
        "created_at": iso(task.created_wall),
        "started_at": iso(task.wall_at(task.queued_for)) if task.has_started(elapsed) else None,
        "completed_at": iso(task.wall_at(task.terminal_at)) if terminal else None,
        "progress": _progress(task, status, elapsed),
        "attempt": 1,
        "max_attempts": 3,
        "input": dict(task.input),
        "result": dict(result) if result is not None else None,
        "error": dict(_ERRORS[task.outcome]) if status in {"failed", "expired"} else None,
        "credits": dict(task.credits) if succeeded and task.credits is not None else None,
        "links": {
            "self": f"/v1/tasks/{task.id}",
            "events": None,
            "cancel": None if terminal else f"/v1/tasks/{task.id}/cancel",
            "canvas": _canvas_link(task, result),
        },
        "retry_after_ms": _retry_after_ms(task.seconds_to_next_change(elapsed)),
    }


def _progress(task: Task, status: str, elapsed: float) -> JSONObject | None:
    if status == "running":
        percent = _percent(task, elapsed)
        step, message = next((s, m) for bound, s, m in _STEPS if percent < bound)
        return {"percent": percent, "step": step, "message": message}
    if status == "canceling" and task.cancel_requested is not None:
        message = "Cancellation requested; waiting for the executor to stop."
        return {
            "percent": _percent(task, task.cancel_requested),
            "step": "canceling",
            "message": message,
        }
    return None


def _percent(task: Task, elapsed: float) -> int:
    share = (elapsed - task.queued_for) / task.running_for
    return max(0, min(99, math.floor(share * 100)))


def _canvas_link(task: Task, result: JSONObject | None) -> str | None:
    if result is not None and "canvas_url" in result:
        return str(result["canvas_url"])
    return task.working_canvas_url


def _retry_after_ms(seconds_left: float | None) -> int | None:
    """3 s, but never past the next state change (in whole 100 ms, rounded up)."""
    if seconds_left is None:
        return None
    # round() first so float noise (0.3 * 10 = 3.0000000000000004) cannot add 100 ms
    until_change = max(100, math.ceil(round(seconds_left * 10, 6)) * 100)
    return min(POLL_HINT_MS, until_change)
