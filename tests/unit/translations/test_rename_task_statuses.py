from typing import get_args

import pytest

from proxy.core.engine import plan_version
from proxy.core.versioning import MigrationContext
from translations import BUNDLE
from translations.changes.rename_task_statuses import (
    filter_by_upstream_status,
    rename_job_status,
    status_changes_meaning,
)
from translations.models.client import JobResponse

# The only words a 2026-04-12 client was ever sent.
CLIENT_STATUS_WORDS = get_args(JobResponse.model_fields["status"].annotation)
CONTEXT = plan_version(BUNDLE, "2026-04-12").context


def _replaced(overrides: dict[str, str]) -> MigrationContext:
    return plan_version(BUNDLE, "2026-04-12", overrides).context


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
    assert rename_job_status({"status": upstream}, CONTEXT)["status"] == client
    assert client in CLIENT_STATUS_WORDS


def test_an_operator_override_replaces_one_word() -> None:
    context = _replaced({"canceling": "cancelled"})
    assert rename_job_status({"status": "canceling"}, context)["status"] == "cancelled"
    assert rename_job_status({"status": "succeeded"}, context)["status"] == "completed"


def test_an_unknown_status_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown task status"):
        rename_job_status({"status": "paused"}, CONTEXT)


def test_the_status_filter_is_sent_upstream_in_upstream_words() -> None:
    query = (("status", "completed"), ("limit", "5"), ("status", "cancelled"), ("x", "completed"))
    assert filter_by_upstream_status(query, CONTEXT) == (
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
    context = _replaced(overrides)
    assert status_changes_meaning({"status": status}, context) is derived


def test_a_version_without_words_refuses_rather_than_passes_the_upstream_word() -> None:
    with pytest.raises(KeyError):
        rename_job_status({"status": "succeeded"}, MigrationContext())


def test_a_filter_word_of_the_served_version_selects_the_status_it_stands_for() -> None:
    context = MigrationContext(status_words={**CONTEXT.status_words, "succeeded": "done"})
    assert filter_by_upstream_status((("status", "done"),), context) == (("status", "succeeded"),)
    # `failed` stands for two statuses; a word that is itself a status selects that one.
    assert filter_by_upstream_status((("status", "failed"),), context) == (("status", "failed"),)
