"""Hypothesis drives odd upstream bodies through every change: each gives a valid legacy shape or a
clean TranslationError, never an unhandled exception."""

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from proxy.core.engine import migrate_response, plan_version
from proxy.core.pagination import PageFacts
from proxy.core.versioning import MigrationContext
from proxy.errors import TranslationError
from translations import BUNDLE
from translations.models.client import JobResponse

PLAN = plan_version(BUNDLE, "2026-04-12")
ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)
STATUSES = st.sampled_from(
    ["queued", "running", "succeeded", "failed", "canceled", "expired", "canceling", "paused"]
)


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(strategy, ODD)


TASKS = st.fixed_dictionaries(
    {
        "id": _maybe(st.just("task_01HT9WK8N3M2J4A5Z6P7Q8R9TV")),
        "status": _maybe(STATUSES),
        "kind": _maybe(st.sampled_from(["design", "remix", "export", "brand_kit_extract"])),
    },
    optional={
        "created_at": _maybe(st.just("2026-04-15T12:00:00+00:00")),
        "started_at": _maybe(st.none()),
        "completed_at": _maybe(st.none()),
        "progress": _maybe(
            st.fixed_dictionaries(
                {}, optional={"percent": _maybe(st.integers(0, 100)), "step": ODD, "message": ODD}
            )
        ),
        "input": _maybe(st.fixed_dictionaries({}, optional={"prompt": ODD, "canvas_id": ODD})),
        "result": _maybe(
            st.fixed_dictionaries(
                {}, optional={"canvas_id": ODD, "canvas_url": ODD, "source_canvas_id": ODD}
            )
        ),
        "error": _maybe(st.fixed_dictionaries({}, optional={"message": ODD, "retryable": ODD})),
        "credits": _maybe(
            st.fixed_dictionaries({}, optional={"credits_used": ODD, "credits_remaining": ODD})
        ),
        "retry_after_ms": _maybe(st.integers(0, 60_000)),
    },
)


@settings(max_examples=400, deadline=None)
@given(TASKS)
def test_any_task_body_becomes_a_valid_job_or_a_translation_error(task: dict[str, Any]) -> None:
    for route, steps in PLAN.responses.items():
        if route.template == "/v1/tasks" and route.method == "GET":
            continue
        try:
            job = migrate_response(steps, dict(task), MigrationContext())
        except TranslationError:
            continue
        JobResponse.model_validate(job)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.lists(_maybe(TASKS), max_size=4), ODD))
def test_any_task_page_becomes_a_valid_offset_page_or_a_translation_error(items: Any) -> None:
    steps = next(s for r, s in PLAN.responses.items() if str(r) == "GET /v1/tasks")
    facts = PageFacts(0, 20, 3, True, False)
    try:
        page = migrate_response(steps, {"data": items}, MigrationContext(facts={"page": facts}))
    except TranslationError:
        return
    assert set(page) == {"jobs", "total", "offset", "limit", "has_more"}
    for job in page["jobs"]:
        JobResponse.model_validate(job)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["task.succeeded", "task.failed", "task.canceled"]),
    st.one_of(TASKS, ODD),
)
def test_any_webhook_event_becomes_a_valid_job_event_or_a_translation_error(
    event_type: str, data: Any
) -> None:
    event = {"id": "evt_1", "type": event_type, "api_version": "2026-05-01", "data": data}
    context = MigrationContext(facts={"client_version": "2026-04-12"})
    try:
        translated = migrate_response(PLAN.events[event_type], event, context)
    except TranslationError:
        return
    assert translated["type"].startswith("job.")
    JobResponse.model_validate(translated["data"])
