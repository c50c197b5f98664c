"""Webhooks sent to a `callback_url` are job events: `job.completed`, `job.failed`,
`job.dead_letter` (a failure that will not be retried) and `job.cancelled`, with the job object as
`data` and `api_version` the version the task was started with. They are signed exactly as before
(`X-Webhook-Timestamp`, `X-Webhook-Signature: v1=…`) with the API key's own signing secret.
A task that expires in the queue, of which Moda sends no event, arrives as `job.failed` too, with
the `error` a poll of the job shows."""

from typing import Final

from proxy.core.expiry import EXPIRY_EVENT
from proxy.core.messages import learned
from proxy.core.payload import JSONObject, object_or_empty
from proxy.core.relay import CallbackRelay
from proxy.core.versioning import MigrationContext, VersionChange
from translations.changes.flatten_task_envelope_into_job import task_to_job
from translations.changes.rename_task_statuses import rename_job_status
from translations.common import REMIX, START_TASK

_EVENT_NAMES: Final = {
    "task.succeeded": "job.completed",
    "task.failed": "job.failed",
    "task.canceled": "job.cancelled",
    EXPIRY_EVENT: "job.failed",  # the proxy's own event: Moda tells of no expiry
}


def _event_name(event_type: str, task: JSONObject) -> str:
    error = object_or_empty(task.get("error"))
    if event_type == "task.failed" and error.get("retryable") is False:
        return "job.dead_letter"
    return _EVENT_NAMES[event_type]


def to_job_event(event: JSONObject, context: MigrationContext) -> JSONObject:
    task = object_or_empty(event["data"])
    event["type"] = _event_name(event["type"], task)
    event["data"] = rename_job_status(task_to_job(task, context), context)
    event["api_version"] = learned(context.facts.client_version, "client_version")
    return event


CHANGE = VersionChange(
    name=__name__,
    summary=__doc__,
    events=dict.fromkeys(_EVENT_NAMES, to_job_event),
    emulations=(CallbackRelay(START_TASK), CallbackRelay(REMIX)),
)
