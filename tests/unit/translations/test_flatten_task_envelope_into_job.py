import pytest

from proxy.core.versioning import MigrationContext
from tests.factories import make_task
from translations.changes.flatten_task_envelope_into_job import task_to_job

CONTEXT = MigrationContext()
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
