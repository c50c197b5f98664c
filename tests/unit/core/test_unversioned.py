"""The unversioned API: routes served under other paths, error bodies rewritten, its changelog."""

import pytest

from proxy.core.derived import DerivedField
from proxy.core.engine import migrate_request, migrate_response, plan_version
from proxy.core.payload import JSONObject
from proxy.core.routes import Route, render_path
from proxy.core.versioning import (
    Migration,
    MigrationContext,
    Version,
    VersionBundle,
    VersionChange,
    VersionChangeError,
)

THINGS = Route("POST", "/v1/things")
THING = Route("GET", "/v1/things/{id}")
ITEMS = Route("POST", "/v1/items")
ITEM = Route("GET", "/v1/items/{id}")
CONTEXT = MigrationContext()


def _tag(tag: str) -> Migration:
    def record(body: JSONObject, context: MigrationContext) -> JSONObject:
        body.setdefault("trail", []).append(tag)
        return body

    return record


DATED = VersionChange(
    name="toy.dated",
    summary="Dated.",
    requests={THINGS: _tag("dated")},
    responses={THINGS: _tag("dated"), THING: _tag("dated")},
)
RENAMED = VersionChange(
    name="toy.renamed",
    summary="Things were items.",
    paths={ITEMS: THINGS, ITEM: THING},
    requests={ITEMS: _tag("renamed")},
    responses={ITEMS: _tag("renamed")},
    errors={ITEM: _tag("error")},
)
BUNDLE = VersionBundle(
    upstream="2026-05-01",
    older=(Version("2026-04-12", DATED),),
    unversioned=Version("before", RENAMED),
)


def test_a_renamed_route_takes_over_the_newer_steps_then_adds_its_own() -> None:
    plan = plan_version(BUNDLE, "before")
    assert migrate_response(plan.responses[ITEMS], {}, CONTEXT) == {"trail": ["dated", "renamed"]}
    assert migrate_request(plan.requests[ITEMS], {}, CONTEXT) == {"trail": ["renamed", "dated"]}
    assert plan.upstream_routes == {ITEMS: THINGS, ITEM: THING}
    assert migrate_response(plan.errors[ITEM], {}, CONTEXT) == {"trail": ["error"]}


def test_the_unversioned_plan_matches_only_its_own_routes() -> None:
    plan = plan_version(BUNDLE, "before")
    assert plan.routes.match("GET", "/v1/items/7") is not None
    assert plan.routes.match("GET", "/v1/things/7") is None


def test_dated_plans_never_see_the_unversioned_routes() -> None:
    plan = plan_version(BUNDLE, "2026-04-12")
    assert plan.routes.match("POST", "/v1/items") is None
    assert plan.errors == {}
    assert "before" not in BUNDLE.supported


def test_the_changelog_ends_with_the_unversioned_api() -> None:
    assert [entry["version"] for entry in BUNDLE.changelog()] == ["2026-04-12", "before"]


def test_a_rendered_path_fills_each_placeholder() -> None:
    assert render_path(THING, {"id": "abc%20d"}) == "/v1/things/abc%20d"


def test_the_unversioned_api_cannot_reuse_a_dated_name() -> None:
    with pytest.raises(VersionChangeError):
        VersionBundle(
            upstream="2026-05-01",
            older=(Version("2026-04-12", DATED),),
            unversioned=Version("2026-04-12", RENAMED),
        )


def test_a_change_that_only_renames_or_only_rewrites_errors_is_valid() -> None:
    VersionChange(name="toy.p", summary="P.", paths={ITEMS: THINGS})
    VersionChange(name="toy.e", summary="E.", errors={ITEM: _tag("e")})


def test_a_change_cannot_derive_fields_on_a_route_it_does_not_rewrite() -> None:
    with pytest.raises(VersionChangeError):
        VersionChange(
            name="toy.d",
            summary="D.",
            events={"e": _tag("e")},
            derived={ITEM: (DerivedField("x", lambda body, context: True),)},
        )


def test_derived_names_are_listed_once_each_across_the_bundle() -> None:
    fields = (DerivedField("x", lambda body, context: True),)
    change = VersionChange(
        name="toy.d",
        summary="D.",
        responses={ITEM: _tag("d"), THING: _tag("d")},
        derived={ITEM: fields, THING: fields},
    )
    bundle = VersionBundle(upstream="2026-05-01", older=(Version("2026-04-12", change),))
    assert bundle.derived_names == ("x",)
    assert bundle.changelog()[0]["changes"][0]["derived"] == ["x"]


def test_only_fields_whose_test_holds_are_noted_before_the_step_runs() -> None:
    seen: list[JSONObject] = []

    def saw(body: JSONObject, context: MigrationContext) -> bool:
        seen.append(dict(body))
        return body.get("raw") == 1

    change = VersionChange(
        name="toy.d",
        summary="D.",
        responses={ITEM: _tag("d")},
        derived={ITEM: (DerivedField("yes", saw), DerivedField("no", lambda b, c: False))},
    )
    bundle = VersionBundle(upstream="2026-05-01", older=(Version("2026-04-12", change),))
    names: list[str] = []
    migrate_response(plan_version(bundle, "2026-04-12").responses[ITEM], {"raw": 1}, CONTEXT, names)
    assert names == ["yes"]
    assert seen == [{"raw": 1}]
