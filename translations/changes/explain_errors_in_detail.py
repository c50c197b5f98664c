"""Errors on the job routes also carry `detail`, a readable sentence beside Moda's `error`
object: the error's `message`, followed by the fields a validation error names (for example
`The request is invalid. (body.prompt: Field required)`). The `error` object is unchanged."""

from typing import Any

from proxy.core.payload import JSONObject, object_or_empty
from proxy.core.versioning import MigrationContext, VersionChange
from translations.common import GET_JOB, LIST_JOBS, START_JOB


def _field_reason(entry: Any) -> str | None:
    if not isinstance(entry, dict) or not isinstance(entry.get("field"), str):
        return None
    reason = entry.get("message") or entry.get("code")
    return f"{entry['field']}: {reason}" if isinstance(reason, str) else entry["field"]


def detail_of(error: JSONObject) -> str:
    message = error.get("message")
    text = message if isinstance(message, str) and message else "The request failed."
    details = error.get("details")
    fields = details.get("fields") if isinstance(details, dict) else None
    reasons = [r for r in map(_field_reason, fields or ()) if r] if isinstance(fields, list) else []
    return f"{text} ({'; '.join(reasons)})" if reasons else text


def add_detail(body: JSONObject, context: MigrationContext) -> JSONObject:
    """Leaves a body that is not Moda's envelope alone: there is no reason in it to repeat."""
    if isinstance(body.get("error"), dict) and "detail" not in body:
        body["detail"] = detail_of(object_or_empty(body["error"]))
    return body


CHANGE = VersionChange(
    name=__name__,
    summary=__doc__,
    errors=dict.fromkeys((START_JOB, GET_JOB, LIST_JOBS), add_detail),
)
