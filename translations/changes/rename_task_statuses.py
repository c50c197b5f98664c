"""Job statuses use the original words: `completed` instead of `succeeded` and `cancelled`
(two Ls) instead of `canceled`, in answers and in the `status` filter of `GET /v1/tasks`. A task
that expired in the queue is reported as `failed` with an explanatory `error`, and a cancellation
still in progress as `running`.

Derived: `status` when it stands for `expired` or `canceling` (words the job object never had),
or when the operator replaced the word for the task's status."""

from typing import Final

from proxy.core.derived import DerivedField, in_each_item
from proxy.core.messages import Query
from proxy.core.payload import JSONObject, each_item
from proxy.core.tasks import TASK_STATUSES
from proxy.core.versioning import MigrationContext, VersionChange
from translations.common import LIST_TASKS, TASK_ROUTES, checked_status

# moda-api.md §2.5: the statuses the documents give no legacy word for.
_UNDOCUMENTED: Final = frozenset({"expired", "canceling"})


def status_word(status: str, context: MigrationContext) -> str:
    """The served version's word for `status` (its declaration's, or the operator's)."""
    return context.status_words[checked_status(status)]


def rename_job_status(job: JSONObject, context: MigrationContext) -> JSONObject:
    job["status"] = status_word(job["status"], context)
    return job


def upstream_status(word: str, context: MigrationContext) -> str:
    """The status a filter word selects. A filter names one status: `failed` cannot also select
    `expired` tasks (the upstream takes one), so a word that is itself a status means that one."""
    if word in TASK_STATUSES:
        return word
    meant = [status for status, spoken in context.status_words.items() if spoken == word]
    return meant[0] if len(meant) == 1 else word


def filter_by_upstream_status(query: Query, context: MigrationContext) -> Query:
    return tuple(
        (key, upstream_status(value, context) if key == "status" else value) for key, value in query
    )


def status_changes_meaning(job: JSONObject, context: MigrationContext) -> bool:
    status = job.get("status")
    return status in _UNDOCUMENTED or status in context.replaced_statuses


_DERIVED: Final = (DerivedField("status", status_changes_meaning),)

CHANGE = VersionChange(
    name=__name__,
    summary=__doc__,
    derived={**dict.fromkeys(TASK_ROUTES, _DERIVED), LIST_TASKS: in_each_item(_DERIVED)},
    responses={
        **dict.fromkeys(TASK_ROUTES, rename_job_status),
        LIST_TASKS: each_item(rename_job_status),
    },
    queries={LIST_TASKS: filter_by_upstream_status},
)
