"""Hypothesis drives upstream documents through every change, mostly canonical Tasks with a
minority bent out of shape: each gives a valid legacy shape or a clean TranslationError, never an
unhandled exception, and most of them translate (so the legacy model check really runs)."""

import dataclasses
from collections.abc import Callable
from typing import Any, Final

from hypothesis import given, settings
from hypothesis import strategies as st

from proxy.core.engine import migrate_response, plan_version
from proxy.core.messages import MigrationFacts
from proxy.core.pagination import PageFacts
from proxy.core.payload import JSONObject
from proxy.errors import TranslationError
from tests.fuzz.documents import (
    EVENT_STATUSES,
    EVENTS,
    TASKS,
    canonical_tasks,
    mostly_canonical,
)
from translations import BUNDLE
from translations.common import LIST_TASKS, TASK_ROUTES
from translations.models import upstream
from translations.models.client import JobResponse

PLAN = plan_version(BUNDLE, "2026-04-12")
MODELS = BUNDLE.terms(PLAN.version).models
# Nine in ten drawn documents are canonical; a few of those carry an odd additive field, which a
# translation drops. Below this share the fuzzing mostly exercises the error path.
TRANSLATED_FLOOR: Final = 0.8
EXAMPLES: Final = 100


def _translated_share(strategy: st.SearchStrategy[Any], translate: Callable[[Any], bool]) -> float:
    """Runs `translate` over drawn examples: the share it translated (it returns False, or raises
    TranslationError, for a document it refuses)."""
    outcomes: list[bool] = []

    # Derandomized: the share is a property of the strategy, not of one run's luck, and a floor
    # that holds must hold on every CI run.
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True)
    @given(strategy)
    def each(document: Any) -> None:
        try:
            outcomes.append(translate(document))
        except TranslationError:
            outcomes.append(False)

    each()
    return sum(outcomes) / len(outcomes)


def _job(job: JSONObject) -> JSONObject:
    JobResponse.model_validate(job)
    return job


@settings(max_examples=50, deadline=None)
@given(canonical_tasks())
def test_the_canonical_tasks_drawn_are_tasks_the_upstream_model_accepts(task: JSONObject) -> None:
    upstream.Task.model_validate(task)


def test_most_task_bodies_become_valid_jobs_on_every_task_route() -> None:
    routes = [route for route in TASK_ROUTES if route in PLAN.responses]
    assert set(routes) <= set(MODELS), "every task route's answer has a declared model"

    def translate(task: JSONObject) -> bool:
        for route in routes:
            job = migrate_response(PLAN.responses[route], dict(task), PLAN.context)
            MODELS[route].model_validate(job)
        return True

    assert routes
    assert _translated_share(TASKS, translate) >= TRANSLATED_FLOOR


PAGES: Final = mostly_canonical(
    st.lists(canonical_tasks(), max_size=3).map(lambda items: {"data": items})
)


def test_most_task_pages_become_valid_offset_pages() -> None:
    steps = PLAN.responses[LIST_TASKS]
    facts = PageFacts(0, 20, 3, True, False)

    def translate(page: JSONObject) -> bool:
        translated = migrate_response(
            steps, page, dataclasses.replace(PLAN.context, facts=MigrationFacts(page=facts))
        )
        assert set(translated) == {"jobs", "total", "offset", "limit", "has_more"}
        assert len(translated["jobs"]) == len(page["data"])
        for job in translated["jobs"]:
            _job(job)
        return True

    assert _translated_share(PAGES, translate) >= TRANSLATED_FLOOR


def test_most_webhook_events_become_valid_job_events() -> None:
    context = dataclasses.replace(PLAN.context, facts=MigrationFacts(client_version=PLAN.version))

    def translate(event: JSONObject) -> bool:
        steps = PLAN.events.get(event["type"]) if isinstance(event.get("type"), str) else None
        if steps is None:
            return False  # the relay ignores an event the client version never had
        translated = migrate_response(steps, event, context)
        assert translated["type"].startswith("job.")
        assert translated["api_version"] == "2026-04-12"
        _job(translated["data"])
        return True

    assert set(PLAN.events) == set(EVENT_STATUSES)
    assert _translated_share(EVENTS, translate) >= TRANSLATED_FLOOR
