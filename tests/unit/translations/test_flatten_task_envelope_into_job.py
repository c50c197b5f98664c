import dataclasses
from typing import Any

import pytest

from proxy.core.engine import migrate_response, plan_version
from proxy.core.messages import MigrationFacts
from proxy.core.pagination import PageFacts
from tests.factories import make_task
from translations import BUNDLE
from translations.changes.flatten_task_envelope_into_job import task_to_job
from translations.common import GET_TASK, LIST_TASKS

CONTEXT = plan_version(BUNDLE, "2026-04-12").context
RESULT = {
    "canvas_id": "cvs_NEW",
    "canvas_url": "https://moda.app/canvas/x",
    "conversation_id": "conv_1",
}


def test_canonical_only_keys_are_not_sent() -> None:
    job = task_to_job(make_task(), CONTEXT)
    assert not {
        "id",
        "kind",
        "attempt",
        "max_attempts",
        "input",
        "result",
        "links",
        "progress",
    } & set(job)
    assert "retry_after_ms" not in job


def test_a_design_task_names_its_requested_canvas_before_it_succeeds() -> None:
    task = make_task(
        status="running",
        input={"prompt": "p", "canvas_id": "cvs_OLD", "conversation_id": "conv_0"},
    )
    job = task_to_job(task, CONTEXT)
    assert (job["canvas_id"], job["conversation_id"], job["canvas_url"]) == (
        "cvs_OLD",
        "conv_0",
        None,
    )


def test_the_result_wins_over_the_request_once_the_task_succeeded() -> None:
    task = make_task(
        status="succeeded", input={"prompt": "p", "canvas_id": "cvs_OLD"}, result=RESULT
    )
    job = task_to_job(task, CONTEXT)
    assert (job["canvas_id"], job["canvas_url"], job["can_export"]) == (
        "cvs_NEW",
        RESULT["canvas_url"],
        True,
    )


def test_a_remix_never_reports_its_source_as_its_canvas() -> None:
    task = make_task(
        kind="remix", status="running", input={"canvas_id": "cvs_SOURCE", "prompt": "p"}
    )
    job = task_to_job(task, CONTEXT)
    assert job["canvas_id"] is None
    assert "source_canvas_id" not in job


def test_a_succeeded_remix_carries_its_source_canvas() -> None:
    result = {
        "canvas_id": "cvs_COPY",
        "canvas_url": "u",
        "source_canvas_id": "cvs_SOURCE",
    }
    job = task_to_job(make_task(kind="remix", status="succeeded", result=result), CONTEXT)
    assert (job["canvas_id"], job["source_canvas_id"]) == ("cvs_COPY", "cvs_SOURCE")


@pytest.mark.parametrize(
    ("milliseconds", "seconds"), [(3000, 3), (2001, 3), (1, 1), (0, 1), (None, 3)]
)
def test_retry_after_is_rounded_up_to_whole_seconds_while_running(
    milliseconds: int | None, seconds: int
) -> None:
    job = task_to_job(make_task(status="running", retry_after_ms=milliseconds), CONTEXT)
    assert job["retry_after_seconds"] == seconds


def test_retry_after_is_null_once_terminal_whatever_the_upstream_said() -> None:
    job = task_to_job(make_task(status="failed", retry_after_ms=3000), CONTEXT)
    assert job["retry_after_seconds"] is None
    assert job["is_terminal"] is True


def test_progress_percent_is_zero_without_progress_and_100_on_success() -> None:
    assert task_to_job(make_task(status="running", progress=None), CONTEXT)["progress_percent"] == 0
    task = make_task(status="running", progress={"percent": 55, "step": "s", "message": None})
    job = task_to_job(task, CONTEXT)
    assert (job["progress_percent"], job["current_step"], job["message"]) == (
        55,
        "s",
        "Job is running.",
    )
    assert (
        task_to_job(make_task(status="succeeded", result=RESULT), CONTEXT)["progress_percent"]
        == 100
    )


def test_a_failure_without_a_message_still_explains_itself() -> None:
    job = task_to_job(make_task(status="failed", error={"retryable": True}), CONTEXT)
    assert job["error"] == "Job failed."


def test_can_export_needs_a_resulting_canvas() -> None:
    assert task_to_job(make_task(status="succeeded", result={}), CONTEXT)["can_export"] is False


@pytest.mark.parametrize("status", ["paused", None, 3])
def test_an_unknown_status_is_refused_rather_than_guessed(status: object) -> None:
    with pytest.raises(ValueError, match="unknown task status"):
        task_to_job(make_task(status=status), CONTEXT)


def test_a_non_numeric_retry_after_is_refused() -> None:
    with pytest.raises(TypeError):
        task_to_job(make_task(status="running", retry_after_ms="soon"), CONTEXT)


def _derived(task: dict[str, Any]) -> list[str]:
    names: list[str] = []
    migrate_response(plan_version(BUNDLE, "2026-04-12").responses[GET_TASK], task, CONTEXT, names)
    return names


@pytest.mark.parametrize(
    ("task", "derived"),
    [
        (make_task(), ["message"]),
        (make_task(retry_after_ms=2500), ["message", "retry_after_seconds"]),
        (make_task(retry_after_ms=400), ["message", "retry_after_seconds"]),
        (make_task(retry_after_ms=None), ["message", "retry_after_seconds"]),
        (
            make_task(status="running", progress={"percent": 5, "step": "s", "message": "Busy"}),
            [],
        ),
        (make_task(status="succeeded", retry_after_ms=None), ["message"]),
        (make_task(status="failed", retry_after_ms=None), ["message", "error"]),
        (
            make_task(status="failed", retry_after_ms=None, error={"message": "No credits"}),
            ["message"],
        ),
    ],
)
def test_the_fields_made_up_for_a_task_are_named(task: dict[str, Any], derived: list[str]) -> None:
    assert _derived(task) == derived


def test_a_list_names_a_field_derived_for_any_of_its_jobs() -> None:
    steps = plan_version(BUNDLE, "2026-04-12").responses[LIST_TASKS]
    running = make_task(status="running", progress={"message": "Busy"})
    names: list[str] = []
    page = {"data": [running, make_task(retry_after_ms=1200)], "next_cursor": None}
    facts = MigrationFacts(page=PageFacts(0, 20, 2, True, False))
    migrate_response(steps, page, dataclasses.replace(CONTEXT, facts=facts), names)
    assert names == ["message", "retry_after_seconds"]
