"""Golden pairs, one folder per served version (`examples/<version>/<case>/`): each upstream
example is a valid Task and translates to its client example, which the version's declared
model of a task answer accepts."""

import json
from pathlib import Path

import pytest

from proxy.core.engine import migrate_response, plan_version
from translations import BUNDLE
from translations.common import GET_TASK
from translations.models.upstream import Task

FOLDER = Path(__file__).parent / "examples"
VERSIONS = sorted(path.name for path in FOLDER.iterdir() if path.is_dir())
EXAMPLES = [
    (version, case)
    for version in VERSIONS
    for case in sorted(path for path in (FOLDER / version).iterdir() if path.is_dir())
]


def _load(case: Path, side: str) -> dict[str, object]:
    document = json.loads((case / f"{side}.json").read_text())
    assert isinstance(document, dict)
    return document


def test_every_example_folder_is_a_version_clients_are_served() -> None:
    older = [version.value for version in BUNDLE.older]
    assert VERSIONS
    assert set(VERSIONS) <= set(older), "examples/<version>/ names a version of the bundle"


@pytest.mark.parametrize(
    ("version", "case"), EXAMPLES, ids=[f"{version}/{case.name}" for version, case in EXAMPLES]
)
def test_upstream_example_translates_to_client_example(version: str, case: Path) -> None:
    upstream = _load(case, "upstream")
    Task.model_validate(upstream)
    plan = plan_version(BUNDLE, version)

    translated = migrate_response(plan.responses[GET_TASK], upstream, plan.context)

    assert translated == _load(case, "client")
    assert list(translated) == list(_load(case, "client")), "key order follows the documented one"
    BUNDLE.terms(version).models[GET_TASK].model_validate(translated)


@pytest.mark.parametrize("version", VERSIONS)
def test_examples_cover_every_upstream_status(version: str) -> None:
    cases = [case for each, case in EXAMPLES if each == version]
    statuses = {_load(case, "upstream")["status"] for case in cases}
    assert statuses >= {
        "queued",
        "running",
        "succeeded",
        "failed",
        "canceled",
        "expired",
        "canceling",
    }
