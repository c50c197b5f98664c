"""Ids are bare UUIDs, as before prefixed ids existed: `job_id`, `canvas_id` and
`conversation_id` in job objects are the UUIDs behind `task_…`, `cvs_…` and `conv_…` (the same
ids, written the other way; `canvas_url` already held the bare UUID). A job id is accepted in
either form in `GET /v1/jobs/{job_id}`, and the `canvas_id` filter of `GET /v1/jobs` takes a bare
UUID, and the job in a callback's `data` has bare ids too. An id that holds no UUID is left as
the upstream wrote it, so it can still be polled."""

from typing import Any, Final

from proxy.core.ids import is_bare_uuid, is_prefixed_id, prefixed_from_uuid, uuid_from_prefixed
from proxy.core.messages import Query
from proxy.core.payload import JSONObject, object_or_empty
from proxy.core.versioning import MigrationContext, VersionChange
from translations.common import JOB_ROUTES, LIST_JOBS

_ID_FIELDS: Final = ("job_id", "canvas_id", "conversation_id")


def bare_uuid(value: Any) -> Any:
    """The UUID behind a prefixed id; anything else unchanged."""
    if is_prefixed_id(value):
        return str(uuid_from_prefixed(value))
    return value


def job_with_bare_ids(job: JSONObject, context: MigrationContext) -> JSONObject:
    for field in _ID_FIELDS:
        if field in job:
            job[field] = bare_uuid(job[field])
    return job


def jobs_with_bare_ids(page: JSONObject, context: MigrationContext) -> JSONObject:
    jobs = page["jobs"]
    if not isinstance(jobs, list):
        raise TypeError("a job page's `jobs` must be a list")
    page["jobs"] = [job_with_bare_ids(object_or_empty(job), context) for job in jobs]
    return page


def event_with_bare_ids(event: JSONObject, context: MigrationContext) -> JSONObject:
    event["data"] = job_with_bare_ids(object_or_empty(event["data"]), context)
    return event


def filter_by_prefixed_canvas(query: Query, context: MigrationContext) -> Query:
    return tuple(
        (key, prefixed_from_uuid("cvs", value))
        if key == "canvas_id" and is_bare_uuid(value)
        else (key, value)
        for key, value in query
    )


CHANGE = VersionChange(
    name=__name__,
    summary=__doc__,
    responses={**dict.fromkeys(JOB_ROUTES, job_with_bare_ids), LIST_JOBS: jobs_with_bare_ids},
    queries={LIST_JOBS: filter_by_prefixed_canvas},
    events=dict.fromkeys(("task.succeeded", "task.failed", "task.canceled"), event_with_bare_ids),
)
