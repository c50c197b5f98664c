"""Every API version the proxy serves, newest first, with the changes that lead back to it."""

from proxy.core.versioning import Version, VersionBundle
from translations.changes import (
    add_team_id_to_brand_kits,
    flatten_task_envelope_into_job,
    rename_task_statuses,
    require_prefixed_ids_in_request_bodies,
    search_canvases_by_query,
    send_job_events_to_callbacks,
    use_offset_pagination_with_plural_keys,
)

__all__ = ["BUNDLE"]

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
)
