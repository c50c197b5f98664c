"""Tasks are returned as the flat job object (`job_id`, `canvas_id`, `task`, `progress_percent`,
`is_terminal`, `can_export`, `retry_after_seconds`, …) instead of the Task envelope. `canvas_id`
names the canvas a design task works on from the start; a remix's new canvas appears once it has
succeeded. `retry_after_seconds` is rounded up and is null once the job is terminal.

Derived (named in `Moda-Compat-Derived` when it happens): `message` when the task reports no
progress message of its own, `retry_after_seconds` when it is rounded up from milliseconds or
stands in for a missing value, `error` when a failed or expired task gave no reason."""

from typing import Final

from proxy.core.derived import DerivedField, in_each_item
from proxy.core.payload import JSONObject, each_item, object_or_empty
from proxy.core.tasks import TERMINAL_STATUSES
from proxy.core.versioning import MigrationContext, VersionChange
from translations.common import (
    LIST_TASKS,
    TASK_ROUTES,
    checked_status,
    credits_or_null,
    ms_to_whole_seconds,
    required_text,
    text_or_null,
)

# The documented text for success; the others follow its style (contract.md §2).
_MESSAGES: Final = {
    "queued": "Job is queued.",
    "running": "Job is running.",
    "canceling": "Cancellation requested; the job is stopping.",
    "succeeded": "Job completed successfully.",
    "failed": "Job failed.",
    "canceled": "Job was cancelled.",
    "expired": "Job expired in the queue before it started.",
}
_EXPIRED_ERROR: Final = "The job expired in the queue before it started; start it again."
_DEFAULT_RETRY_SECONDS: Final = 3


def _from_result_or_input(task: JSONObject, key: str) -> str | None:
    result, given = (
        object_or_empty(task.get("result")),
        object_or_empty(task.get("input")),
    )
    if result.get(key) is not None:
        return text_or_null(result[key])
    return None if task.get("kind") == "remix" else text_or_null(given.get(key))


def _progress_percent(status: str, progress: JSONObject) -> int:
    if status == "succeeded":
        return 100
    percent = progress.get("percent")
    return percent if isinstance(percent, int) and not isinstance(percent, bool) else 0


def _error_text(status: str, error: JSONObject) -> str | None:
    if status == "expired":
        return str(error.get("message") or _EXPIRED_ERROR)
    if status == "failed":
        return str(error.get("message") or _MESSAGES["failed"])
    return None


def _retry_after_seconds(status: str, task: JSONObject) -> int | None:
    if status in TERMINAL_STATUSES:
        return None
    seconds = ms_to_whole_seconds(task.get("retry_after_ms"))
    return _DEFAULT_RETRY_SECONDS if seconds is None else max(seconds, 1)


def task_to_job(task: JSONObject, context: MigrationContext) -> JSONObject:
    status = checked_status(task["status"])
    progress, result = (
        object_or_empty(task.get("progress")),
        object_or_empty(task.get("result")),
    )
    canvas_id = _from_result_or_input(task, "canvas_id")
    job: JSONObject = {
        "job_id": required_text(task["id"]),
        "status": status,
        "canvas_id": canvas_id,
        "canvas_url": text_or_null(result.get("canvas_url")),
        "conversation_id": _from_result_or_input(task, "conversation_id"),
        "message": text_or_null(progress.get("message")) or _MESSAGES[status],
        "task": text_or_null(object_or_empty(task.get("input")).get("prompt")),
        "progress_percent": _progress_percent(status, progress),
        "current_step": text_or_null(progress.get("step")),
        "error": _error_text(status, object_or_empty(task.get("error"))),
        "created_at": text_or_null(task.get("created_at")),
        "started_at": text_or_null(task.get("started_at")),
        "completed_at": text_or_null(task.get("completed_at")),
        "is_terminal": status in TERMINAL_STATUSES,
        "can_export": status == "succeeded" and bool(result.get("canvas_id")),
        "retry_after_seconds": _retry_after_seconds(status, task),
        "credits": credits_or_null(task.get("credits")),
    }
    if result.get("source_canvas_id") is not None:
        job["source_canvas_id"] = text_or_null(result["source_canvas_id"])
    return job


def message_is_made_up(task: JSONObject, context: MigrationContext) -> bool:
    progress = task.get("progress")
    return not (isinstance(progress, dict) and isinstance(progress.get("message"), str))


def retry_is_rounded(task: JSONObject, context: MigrationContext) -> bool:
    if task.get("status") in TERMINAL_STATUSES:
        return False
    milliseconds = task.get("retry_after_ms")
    return not isinstance(milliseconds, int) or milliseconds < 1000 or milliseconds % 1000 != 0


def error_is_made_up(task: JSONObject, context: MigrationContext) -> bool:
    error = task.get("error")
    return task.get("status") in {"failed", "expired"} and not (
        isinstance(error, dict) and error.get("message")
    )


_DERIVED: Final = (
    DerivedField("message", message_is_made_up),
    DerivedField("retry_after_seconds", retry_is_rounded),
    DerivedField("error", error_is_made_up),
)

CHANGE = VersionChange(
    name=__name__,
    summary=__doc__,
    responses={**dict.fromkeys(TASK_ROUTES, task_to_job), LIST_TASKS: each_item(task_to_job)},
    derived={**dict.fromkeys(TASK_ROUTES, _DERIVED), LIST_TASKS: in_each_item(_DERIVED)},
)
