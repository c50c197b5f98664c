"""What the composition root refuses before the proxy starts serving."""

from dataclasses import dataclass

import pytest

from proxy.app import create_app
from proxy.config import ConfigError, settings_from
from proxy.core.payload import JSONObject
from proxy.core.routes import Route
from proxy.core.versioning import MigrationContext, Version, VersionBundle, VersionChange

HOLIDAYS = Route("GET", "/v1/holidays")


@dataclass(frozen=True, slots=True)
class HolidayCalendar:
    """An emulation no emulator of the proxy knows how to carry out."""

    route: Route


def _unchanged(body: JSONObject, context: MigrationContext) -> JSONObject:
    return body


def test_a_change_whose_emulation_has_no_emulator_refuses_to_start() -> None:
    change = VersionChange(
        name="translations.changes.list_holidays",
        summary="Holidays are listed from a calendar the upstream does not keep.",
        responses={HOLIDAYS: _unchanged},
        emulations=(HolidayCalendar(HOLIDAYS),),
    )
    bundle = VersionBundle(upstream="2026-05-01", older=(Version("2026-04-12", change),))

    with pytest.raises(ConfigError) as refused:
        create_app(settings_from({}), bundle=bundle)

    assert str(refused.value) == (
        "translations: version 2026-04-12 declares HolidayCalendar on GET /v1/holidays, "
        "but no emulator carries it out (register one in proxy/app.py)"
    )


def test_a_status_word_the_served_versions_never_had_refuses_to_start() -> None:
    settings = settings_from({"translation": {"status_words": {"succeeded": "done"}}})

    with pytest.raises(ConfigError) as refused:
        create_app(settings)

    assert str(refused.value) == (
        "translation.status_words.succeeded: 'done' is not a status word of version 2026-04-12 "
        "(cancelled, completed, failed, queued, running)"
    )


def test_deprecation_dates_that_end_a_version_before_its_deprecation_refuse_to_start() -> None:
    settings = settings_from({"deprecation": {"deprecated_at": "2026-06-01T00:00:00Z"}})

    with pytest.raises(ConfigError) as refused:
        create_app(settings)

    assert str(refused.value).startswith("deprecation: version 2026-04-12: ")
