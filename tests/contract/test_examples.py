"""Golden pairs: each upstream example is a valid Task and translates to its client example."""

import json
from pathlib import Path

import pytest

from proxy.core.engine import migrate_response, plan_version
from proxy.core.versioning import MigrationContext
from translations import BUNDLE
from translations.common import GET_TASK
from translations.models.client import JobResponse
from translations.models.upstream import Task

EXAMPLES = sorted(path for path in (Path(__file__).parent / "examples").iterdir() if path.is_dir())


def _load(case: Path, side: str) -> dict[str, object]:
    document = json.loads((case / f"{side}.json").read_text())
    assert isinstance(document, dict)
    return document


@pytest.mark.parametrize("case", EXAMPLES, ids=[case.name for case in EXAMPLES])
def test_upstream_example_translates_to_client_example(case: Path) -> None:
    upstream = _load(case, "upstream")
    Task.model_validate(upstream)
    steps = plan_version(BUNDLE, "2026-04-12").responses[GET_TASK]

    translated = migrate_response(steps, upstream, MigrationContext())

    assert translated == _load(case, "client")
    assert list(translated) == list(_load(case, "client")), "key order follows the documented one"
    JobResponse.model_validate(translated)


def test_examples_cover_every_upstream_status() -> None:
    statuses = {_load(case, "upstream")["status"] for case in EXAMPLES}
    assert statuses >= {
        "queued",
        "running",
        "succeeded",
        "failed",
        "canceled",
        "expired",
        "canceling",
    }
