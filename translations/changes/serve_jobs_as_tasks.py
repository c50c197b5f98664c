"""Jobs are started with `POST /v1/jobs`, read with `GET /v1/jobs/{job_id}` and listed with
`GET /v1/jobs`: the task routes under their original names, answering the same job object.
`GET /v1/jobs` takes `limit` from 1 to 50 (default 10) and the `canvas_id` and `status` filters,
newest first, and answers `{"jobs": [...]}` (with `total`, `offset`, `limit` and `has_more`
beside it). The body's `wait` flag is not honoured: the job is answered at once, so poll it."""

from typing import Final

from proxy.core.messages import Query
from proxy.core.payload import JSONObject
from proxy.core.versioning import MigrationContext, VersionChange
from proxy.errors import ClientRequestError
from translations.common import GET_JOB, GET_TASK, LIST_JOBS, LIST_TASKS, START_JOB, START_TASK

# moda-api.md §2.6: the job list's own range and default.
_DEFAULT_LIMIT: Final = "10"
_MAX_LIMIT: Final = 50


def drop_wait_flag(body: JSONObject, context: MigrationContext) -> JSONObject:
    body.pop("wait", None)
    return body


def _checked_limit(text: str) -> str:
    stripped = text.strip()
    if stripped.isascii() and stripped.isdigit() and 1 <= int(stripped) <= _MAX_LIMIT:
        return stripped
    raise ClientRequestError(
        f"`limit` must be a whole number from 1 to {_MAX_LIMIT}.",
        details={"fields": [{"field": "query.limit"}]},
    )


def bound_limit(query: Query, context: MigrationContext) -> Query:
    if not any(key == "limit" for key, _ in query):
        return (*query, ("limit", _DEFAULT_LIMIT))
    return tuple((key, _checked_limit(value) if key == "limit" else value) for key, value in query)


CHANGE = VersionChange(
    name=__name__,
    summary=__doc__,
    paths={START_JOB: START_TASK, GET_JOB: GET_TASK, LIST_JOBS: LIST_TASKS},
    requests={START_JOB: drop_wait_flag},
    queries={LIST_JOBS: bound_limit},
)
