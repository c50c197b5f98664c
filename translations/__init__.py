"""Every API version the proxy serves, newest first: the changes that lead back to it and its own
terms (status words, retirement, client models). An older version is one more declaration here
and its change files."""

from datetime import UTC, datetime

from proxy.core.versioning import Retirement, Version, VersionBundle
from translations.changes import (
    add_team_id_to_brand_kits,
    explain_errors_in_detail,
    flatten_task_envelope_into_job,
    rename_task_statuses,
    require_prefixed_ids_in_request_bodies,
    search_canvases_by_query,
    send_job_events_to_callbacks,
    serve_jobs_as_tasks,
    use_bare_uuid_ids,
    use_offset_pagination_with_plural_keys,
)
from translations.common import TASK_ROUTES
from translations.models.client import JobResponse

__all__ = ["BUNDLE", "PRE_VERSIONING"]

# Moda's API before `Moda-Version` existed had no version name; this one names it in the changelog,
# in metrics and in the `Moda-Version` header of its answers. Clients cannot ask for it.
PRE_VERSIONING = "pre-versioning"

BUNDLE = VersionBundle(
    upstream="2026-05-01",
    older=(
        Version(
            "2026-04-12",
            require_prefixed_ids_in_request_bodies.CHANGE,
            flatten_task_envelope_into_job.CHANGE,  # responses run top to bottom ...
            rename_task_statuses.CHANGE,  # ... so this one sees the flat job's `status`
            send_job_events_to_callbacks.CHANGE,
            add_team_id_to_brand_kits.CHANGE,
            search_canvases_by_query.CHANGE,
            use_offset_pagination_with_plural_keys.CHANGE,  # last: the others see `data`
            # contract.md §2; operators may replace single words with `translation.status_words`.
            status_words={
                "queued": "queued",
                "running": "running",
                "succeeded": "completed",
                "failed": "failed",
                "canceled": "cancelled",
                "expired": "failed",
                "canceling": "running",
            },
            # moda-api.md §7: deprecated when 2026-05-01 shipped, sunset on 2026-05-12.
            retirement=Retirement(
                deprecated_at=datetime(2026, 5, 1, tzinfo=UTC),
                sunset_at=datetime(2026, 5, 12, tzinfo=UTC),
            ),
            models=dict.fromkeys(TASK_ROUTES, JobResponse),
        ),
    ),
    # Its words, retirement and models are 2026-04-12's: Moda documents none of its own.
    unversioned=Version(
        PRE_VERSIONING,
        serve_jobs_as_tasks.CHANGE,  # first: the job routes take over the task routes' steps
        use_bare_uuid_ids.CHANGE,
        explain_errors_in_detail.CHANGE,
    ),
)
