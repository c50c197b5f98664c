"""Job statuses use the original words: `completed` instead of `succeeded` and `cancelled` (two Ls)
instead of `canceled`. A task that expired in the queue is reported as `failed` with an explanatory
`error`, and a cancellation still in progress as `running`."""

from proxy.core.payload import JSONObject
from proxy.core.versioning import MigrationContext, VersionChange
from translations.common import DEFAULT_STATUS_WORDS, TASK_ROUTES, checked_status


def status_word(status: str, context: MigrationContext) -> str:
    return context.status_words.get(status) or DEFAULT_STATUS_WORDS[checked_status(status)]


def rename_job_status(job: JSONObject, context: MigrationContext) -> JSONObject:
    job["status"] = status_word(job["status"], context)
    return job


CHANGE = VersionChange(
    name=__name__,
    summary=__doc__,
    responses=dict.fromkeys(TASK_ROUTES, rename_job_status),
)
