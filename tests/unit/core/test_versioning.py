import pytest

from proxy.core.payload import JSONObject
from proxy.core.routes import Route
from proxy.core.versioning import (
    MigrationContext,
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
