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
