"""Every API version the proxy serves, newest first, with the changes that lead back to it."""

from proxy.core.versioning import Version, VersionBundle
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
        ),
    ),
    unversioned=Version(
        PRE_VERSIONING,
        serve_jobs_as_tasks.CHANGE,  # first: the job routes take over the task routes' steps
        use_bare_uuid_ids.CHANGE,
        explain_errors_in_detail.CHANGE,
    ),
)
