"""Invariants of the shipped bundle, in the spirit of Cadwyn's structure checks."""

import importlib
import pkgutil
from pathlib import Path

import translations.changes
from proxy.core.engine import plan_version
from translations import BUNDLE
from translations.common import TASK_ROUTES

CHANGE_MODULES = sorted(info.name for info in pkgutil.iter_modules(translations.changes.__path__))
UNVERSIONED = BUNDLE.unversioned.changes if BUNDLE.unversioned else ()
REGISTERED = [change for version in BUNDLE.older for change in version.changes] + [*UNVERSIONED]


def test_every_change_module_is_registered_exactly_once() -> None:
    names = [change.short_name for change in REGISTERED]
    assert sorted(names) == CHANGE_MODULES
    assert len(set(names)) == len(names)


def test_every_change_has_a_unit_test_module() -> None:
    here = Path(__file__).parent
    missing = [name for name in CHANGE_MODULES if not (here / f"test_{name}.py").is_file()]
    assert missing == []


def test_every_change_module_exports_its_change_under_its_own_name() -> None:
    for name in CHANGE_MODULES:
        module = importlib.import_module(f"translations.changes.{name}")
        assert module.CHANGE.name == module.__name__


def test_every_task_route_is_flattened_then_renamed_for_the_legacy_version() -> None:
    plan = plan_version(BUNDLE, "2026-04-12")
    for route in TASK_ROUTES:
        assert [step.change for step in plan.responses[route]] == [
            "flatten_task_envelope_into_job",
            "rename_task_statuses",
        ]


def test_the_upstream_version_is_served_untouched() -> None:
    plan = plan_version(BUNDLE, BUNDLE.upstream)
    assert (plan.requests, plan.queries, plan.responses, plan.events, plan.emulations) == (
        {},
        {},
        {},
        {},
        {},
    )
