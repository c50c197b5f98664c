"""The headers that tell legacy clients their version is deprecated and when it ended."""

from dataclasses import dataclass
from email.utils import format_datetime
from typing import Final

from multidict import CIMultiDict, istr

from proxy.config import ConfigError, DeprecationSettings
from proxy.core.versioning import Retirement, VersionBundle, VersionChangeError

_DEPRECATION: Final = istr("Deprecation")
_SUNSET: Final = istr("Sunset")
_LINK: Final = istr("Link")


@dataclass(frozen=True)
class SunsetHeaders:
    deprecation: str
    sunset: str
    link: str

    @classmethod
    def of(cls, retirement: Retirement, successor_url: str) -> "SunsetHeaders":
        return cls(
            # RFC 9745 §2: a structured-field Date, `@` and seconds since the epoch.
            deprecation=f"@{int(retirement.deprecated_at.timestamp())}",
            # RFC 8594 §3: an HTTP-date.
            sunset=format_datetime(retirement.sunset_at, usegmt=True),
            link=f'<{successor_url}>; rel="successor-version"',
        )

    def add_to(self, headers: CIMultiDict[str]) -> None:
        """Replaces any Deprecation and Sunset the upstream sent; adds a Link beside its own."""
        headers[_DEPRECATION] = self.deprecation
        headers[_SUNSET] = self.sunset
        headers.add(_LINK, self.link)


def sunset_headers(
    bundle: VersionBundle, settings: DeprecationSettings
) -> dict[str, SunsetHeaders]:
    """The headers of each older version, from its declared retirement; `deprecation.*` dates,
    when set, replace every version's (an operator correcting the shipped dates)."""
    versions = [*bundle.older, *([bundle.unversioned] if bundle.unversioned else [])]
    headers: dict[str, SunsetHeaders] = {}
    for version in versions:
        declared = bundle.terms(version.value).retirement
        if declared is None:
            continue
        try:
            retirement = Retirement(
                settings.deprecated_at or declared.deprecated_at,
                settings.sunset_at or declared.sunset_at,
            )
        except VersionChangeError as exc:
            raise ConfigError(f"deprecation: version {version.value}: {exc}") from None
        headers[version.value] = SunsetHeaders.of(retirement, settings.successor_url)
    return headers
