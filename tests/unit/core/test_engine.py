"""The order changes run in, pinned: responses top to bottom, requests bottom to top."""

import pytest

from proxy.core.engine import migrate_request, migrate_response, plan_version
from proxy.core.payload import JSONObject
from proxy.core.routes import Route
from proxy.core.versioning import (
    MigrationContext,
    Version,
    VersionBundle,
    VersionChange,
)
from proxy.errors import ClientRequestError, TranslationError

ROUTE = Route("POST", "/v1/things")
CONTEXT = MigrationContext()


def _tagging(tag: str) -> VersionChange:
    def record(body: JSONObject, context: MigrationContext) -> JSONObject:
        body.setdefault("trail", []).append(tag)
        return body

    return VersionChange(
        name=f"toy.{tag}",
        summary=f"{tag}.",
        requests={ROUTE: record},
        responses={ROUTE: record},
    )


BUNDLE = VersionBundle(
    upstream="2026-05-01",
    older=(
        Version("2026-04-12", _tagging("first"), _tagging("second")),
        Version("2026-03-01", _tagging("oldest")),
    ),
)


def test_responses_walk_away_from_the_upstream_in_listed_order() -> None:
    plan = plan_version(BUNDLE, "2026-03-01")
    assert migrate_response(plan.responses[ROUTE], {}, CONTEXT) == {
        "trail": ["first", "second", "oldest"]
    }


def test_requests_walk_toward_the_upstream_in_reverse_order() -> None:
    plan = plan_version(BUNDLE, "2026-03-01")
    assert migrate_request(plan.requests[ROUTE], {}, CONTEXT) == {
        "trail": ["oldest", "second", "first"]
    }


def test_the_upstream_version_has_an_empty_passthrough_plan() -> None:
    plan = plan_version(BUNDLE, "2026-05-01")
    assert (plan.requests, plan.queries, plan.responses, plan.events) == ({}, {}, {}, {})
    assert plan.routes.match("POST", "/v1/things") is None
    assert plan_version(BUNDLE, "2026-04-12").responses


def _broken(body: JSONObject, context: MigrationContext) -> JSONObject:
    return {"status": body["status"]}


BROKEN = VersionBundle(
    upstream="2026-05-01",
    older=(
        Version(
            "2026-04-12",
            VersionChange(
                name="toy.broken",
                summary="Broken.",
                requests={ROUTE: _broken},
                responses={ROUTE: _broken},
            ),
        ),
    ),
)


def test_a_failing_response_change_becomes_a_named_translation_error() -> None:
    plan = plan_version(BROKEN, "2026-04-12")
    with pytest.raises(TranslationError) as caught:
        migrate_response(plan.responses[ROUTE], {}, CONTEXT)
    assert caught.value.change == "broken"
    assert caught.value.status == 502
    assert isinstance(caught.value.cause, KeyError)


def test_a_failing_request_change_becomes_a_client_error() -> None:
    plan = plan_version(BROKEN, "2026-04-12")
    with pytest.raises(ClientRequestError) as caught:
        migrate_request(plan.requests[ROUTE], {}, CONTEXT)
    assert caught.value.status == 400
    assert caught.value.details == {"change": "broken"}
