import pytest

from proxy.core.engine import plan_version
from proxy.core.versioning import MigrationContext
from proxy.errors import ClientRequestError
from translations import BUNDLE, PRE_VERSIONING
from translations.changes.serve_jobs_as_tasks import bound_limit, drop_wait_flag
from translations.common import GET_JOB, GET_TASK, LIST_JOBS, LIST_TASKS, START_JOB, START_TASK

CONTEXT = MigrationContext()


def test_the_job_list_defaults_to_ten_jobs() -> None:
    assert bound_limit((("status", "running"),), CONTEXT) == (
        ("status", "running"),
        ("limit", "10"),
    )


@pytest.mark.parametrize("limit", ["1", "50", " 7 "])
def test_a_limit_within_the_job_range_is_kept(limit: str) -> None:
    assert bound_limit((("limit", limit),), CONTEXT) == (("limit", limit.strip()),)


@pytest.mark.parametrize("limit", ["0", "51", "-1", "ten", "", "٣"])
def test_a_limit_outside_the_job_range_is_refused_naming_the_field(limit: str) -> None:
    with pytest.raises(ClientRequestError) as refused:
        bound_limit((("limit", limit),), CONTEXT)
    assert refused.value.details == {"fields": [{"field": "query.limit"}]}
    assert "1 to 50" in refused.value.message


def test_the_wait_flag_is_not_sent_upstream() -> None:
    body = {"prompt": "p", "wait": True, "canvas_name": "n"}
    assert drop_wait_flag(body, CONTEXT) == {"prompt": "p", "canvas_name": "n"}


def test_job_routes_are_sent_to_the_task_routes_with_every_task_step() -> None:
    plan = plan_version(BUNDLE, PRE_VERSIONING)
    assert plan.upstream_routes == {START_JOB: START_TASK, GET_JOB: GET_TASK, LIST_JOBS: LIST_TASKS}
    steps = [step.change for step in plan.responses[GET_JOB]]
    assert steps == [
        "flatten_task_envelope_into_job",
        "rename_task_statuses",
        "use_bare_uuid_ids",
    ]
    assert plan.emulations[LIST_JOBS] == plan.emulations[LIST_TASKS]


def test_only_the_job_routes_are_reachable_in_the_pre_versioning_plan() -> None:
    plan = plan_version(BUNDLE, PRE_VERSIONING)
    assert set(plan.routes.routes) == {START_JOB, GET_JOB, LIST_JOBS}
    assert plan.routes.match("GET", "/v1/tasks/task_1") is None
