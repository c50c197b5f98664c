from typing import get_args

import pytest

from proxy.core.versioning import MigrationContext
from translations.changes.rename_task_statuses import (
    filter_by_upstream_status,
    rename_job_status,
    status_changes_meaning,
)
from translations.models.client import JobResponse

# The only words a 2026-04-12 client was ever sent.
CLIENT_STATUS_WORDS = get_args(JobResponse.model_fields["status"].annotation)


@pytest.mark.parametrize(
    ("upstream", "client"),
    [
        ("queued", "queued"),
        ("running", "running"),
        ("succeeded", "completed"),
        ("failed", "failed"),
        ("canceled", "cancelled"),
        ("expired", "failed"),
        ("canceling", "running"),
    ],
)
def test_each_upstream_status_gets_its_client_word(upstream: str, client: str) -> None:
    assert rename_job_status({"status": upstream}, MigrationContext())["status"] == client
    assert client in CLIENT_STATUS_WORDS


def test_an_operator_override_replaces_one_word() -> None:
    context = MigrationContext(status_words={"canceling": "cancelled"})
    assert rename_job_status({"status": "canceling"}, context)["status"] == "cancelled"
    assert rename_job_status({"status": "succeeded"}, context)["status"] == "completed"


def test_an_unknown_status_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown task status"):
        rename_job_status({"status": "paused"}, MigrationContext())


def test_the_status_filter_is_sent_upstream_in_upstream_words() -> None:
    query = (("status", "completed"), ("limit", "5"), ("status", "cancelled"), ("x", "completed"))
    assert filter_by_upstream_status(query, MigrationContext()) == (
        ("status", "succeeded"),
        ("limit", "5"),
        ("status", "canceled"),
        ("x", "completed"),
    )


@pytest.mark.parametrize(
    ("status", "overrides", "derived"),
    [
        ("expired", {}, True),
        ("canceling", {}, True),
        ("succeeded", {}, False),
        ("canceled", {}, False),
        ("failed", {"failed": "cancelled"}, True),
    ],
)
def test_status_is_derived_when_its_word_changes_meaning(
    status: str, overrides: dict[str, str], derived: bool
) -> None:
    context = MigrationContext(status_words=overrides)
    assert status_changes_meaning({"status": status}, context) is derived
