from datetime import UTC, datetime

import pytest

from proxy.core.engine import plan_version
from proxy.core.payload import JSONObject
from proxy.core.routes import Route
from proxy.core.tasks import TASK_STATUSES
from proxy.core.versioning import (
    MigrationContext,
    Retirement,
    Version,
    VersionBundle,
    VersionChange,
    VersionChangeError,
    negotiate_version,
)
from proxy.errors import UnsupportedVersion

ROUTE = Route("GET", "/v1/things")


def _identity(body: JSONObject, context: MigrationContext) -> JSONObject:
    return body


def _change(name: str) -> VersionChange:
    return VersionChange(
        name=f"pkg.{name}", summary=f"{name} changed.", responses={ROUTE: _identity}
    )


def test_negotiate_version_serves_the_default_when_none_is_named() -> None:
    assert negotiate_version(None, "2026-04-12", ("2026-04-12", "2026-05-01")) == "2026-04-12"


def test_negotiate_version_serves_a_supported_version_with_stray_spaces() -> None:
    assert negotiate_version(" 2026-05-01 ", "2026-04-12", ("2026-04-12", "2026-05-01")) == (
        "2026-05-01"
    )


@pytest.mark.parametrize("requested", ["2026-01-01", "", "latest", "2026-04-12,2026-05-01"])
def test_negotiate_version_refuses_anything_else_listing_what_is_supported(
    requested: str,
) -> None:
    with pytest.raises(UnsupportedVersion) as caught:
        negotiate_version(requested, "2026-04-12", ("2026-04-12", "2026-05-01"))
    assert caught.value.details == {
        "requested": requested,
        "supported": ["2026-04-12", "2026-05-01"],
    }
    assert caught.value.message == (
        f"Moda-Version '{requested}' is not supported. Supported versions: 2026-04-12, 2026-05-01."
    )


def test_a_change_without_summary_or_effect_is_refused_at_import() -> None:
    with pytest.raises(VersionChangeError, match="summary"):
        VersionChange(name="x", summary="  ", responses={ROUTE: _identity})
    with pytest.raises(VersionChangeError, match="rewrite something"):
        VersionChange(name="x", summary="Something.")


def test_bundle_refuses_versions_out_of_order() -> None:
    with pytest.raises(VersionChangeError, match="newest first"):
        VersionBundle(upstream="2026-01-01", older=(Version("2026-04-12", _change("a")),))


def test_changes_for_accumulates_every_version_down_to_the_client() -> None:
    a, b = _change("a"), _change("b")
    bundle = VersionBundle(
        upstream="2026-05-01",
        older=(Version("2026-04-12", a), Version("2026-03-01", b)),
    )
    assert bundle.changes_for("2026-05-01") == ()
    assert bundle.changes_for("2026-04-12") == (a,)
    assert bundle.changes_for("2026-03-01") == (a, b)
    assert bundle.supported == ("2026-03-01", "2026-04-12", "2026-05-01")
    with pytest.raises(VersionChangeError):
        bundle.changes_for("1999-01-01")


def test_changelog_lists_each_change_by_module_name_and_one_line_summary() -> None:
    change = VersionChange(
        name="pkg.rename_x", summary="X is\n   renamed.", events={"e": _identity}
    )
    bundle = VersionBundle(upstream="2026-05-01", older=(Version("2026-04-12", change),))
    assert bundle.changelog() == [
        {
            "version": "2026-04-12",
            "changes": [{"name": "rename_x", "summary": "X is renamed.", "derived": []}],
        }
    ]


WORDS = {status: status.upper() for status in TASK_STATUSES}
ENDED = Retirement(datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 4, 9, tzinfo=UTC))


def test_a_version_names_a_word_for_every_task_status_or_none() -> None:
    with pytest.raises(VersionChangeError, match="no status word for canceled, canceling, expired"):
        Version("2026-04-12", _change("a"), status_words={"queued": "waiting"})


def test_a_version_cannot_end_before_it_was_deprecated() -> None:
    with pytest.raises(VersionChangeError, match="cannot end before"):
        Retirement(ENDED.sunset_at, ENDED.deprecated_at)


def test_a_retirement_date_without_a_time_zone_is_refused() -> None:
    with pytest.raises(VersionChangeError, match="time zone"):
        Retirement(datetime(2026, 4, 1), ENDED.sunset_at)  # noqa: DTZ001 - the case refused


def test_a_term_a_version_leaves_out_is_the_newer_versions() -> None:
    older_words = {**WORDS, "succeeded": "DONE"}
    bundle = VersionBundle(
        upstream="2026-05-01",
        older=(
            Version("2026-04-12", _change("a"), status_words=WORDS, retirement=ENDED),
            Version("2026-03-01", _change("b"), status_words=older_words),
        ),
        unversioned=Version("before", _change("c")),
    )

    assert bundle.terms("2026-05-01").status_words == {}
    assert bundle.terms("2026-04-12").status_words == WORDS
    assert bundle.terms("2026-03-01").status_words == older_words
    assert bundle.terms("2026-03-01").retirement == ENDED
    assert bundle.terms("before").status_words == older_words
    with pytest.raises(VersionChangeError):
        bundle.terms("2020-01-01")


def test_a_plans_context_is_its_versions_words_with_the_operators_replacements() -> None:
    bundle = VersionBundle(
        upstream="2026-05-01", older=(Version("2026-04-12", _change("a"), status_words=WORDS),)
    )

    context = plan_version(bundle, "2026-04-12", {"expired": "FAILED"}).context

    assert context.status_words == {**WORDS, "expired": "FAILED"}
    assert context.replaced_statuses == {"expired"}
    assert plan_version(bundle, "2026-05-01", {"expired": "FAILED"}).context.status_words == {}
