import dataclasses

import pytest

from proxy.core.engine import plan_version
from proxy.core.messages import MigrationFacts
from tests.factories import make_task
from translations import BUNDLE
from translations.changes.flatten_task_envelope_into_job import task_to_job
from translations.changes.rename_task_statuses import rename_job_status
from translations.changes.send_job_events_to_callbacks import to_job_event
from translations.models.client import JobResponse

CONTEXT = dataclasses.replace(
    plan_version(BUNDLE, "2026-04-12").context,
    facts=MigrationFacts(client_version="2026-04-12"),
)


def _event(event_type: str, **task: object) -> dict[str, object]:
    return {
        "id": "evt_1",
        "type": event_type,
        "created": "2026-04-15T12:01:00+00:00",
        "api_version": "2026-05-01",
        "data": make_task(**task),
    }


@pytest.mark.parametrize(
    ("event_type", "task", "name", "status"),
    [
        (
            "task.succeeded",
            {"status": "succeeded", "result": {"canvas_id": "cvs_1"}},
            "job.completed",
            "completed",
        ),
        (
            "task.failed",
            {"status": "failed", "error": {"message": "x", "retryable": True}},
            "job.failed",
            "failed",
        ),
        (
            "task.failed",
            {"status": "failed", "error": {"message": "x", "retryable": False}},
            "job.dead_letter",
            "failed",
        ),
        ("task.failed", {"status": "failed", "error": {"message": "x"}}, "job.failed", "failed"),
        ("task.canceled", {"status": "canceled"}, "job.cancelled", "cancelled"),
    ],
)
def test_task_events_become_job_events_with_a_job_as_data(
    event_type: str, task: dict[str, object], name: str, status: str
) -> None:
    event = to_job_event(_event(event_type, **task), CONTEXT)
    assert (event["type"], event["api_version"], event["id"]) == (name, "2026-04-12", "evt_1")
    assert event["data"]["status"] == status
    JobResponse.model_validate(event["data"])


def test_an_event_whose_data_is_not_a_task_is_refused() -> None:
    with pytest.raises((KeyError, TypeError, ValueError)):
        to_job_event({"id": "evt_1", "type": "task.succeeded", "data": "oops"}, CONTEXT)


@pytest.mark.parametrize("retryable", [True, False, None])
def test_an_expiry_the_proxy_tells_of_is_job_failed_with_the_error_a_poll_shows(
    retryable: bool | None,
) -> None:
    """Never `job.dead_letter`: an expired job was never tried, so starting it again may work."""
    error = {"message": "Expired in the queue.", "retryable": retryable}
    event = to_job_event(_event("task.expired", status="expired", error=error), CONTEXT)
    polled = rename_job_status(
        task_to_job(make_task(status="expired", error=error), CONTEXT), CONTEXT
    )
    assert (event["type"], event["data"]["status"]) == ("job.failed", "failed")
    assert event["data"]["error"] == polled["error"] == "Expired in the queue."
