"""The headers that tell legacy clients their version is deprecated and when it ended."""

from dataclasses import dataclass
from email.utils import format_datetime

from proxy.config import DeprecationSettings


@dataclass(frozen=True)
class SunsetHeaders:
    deprecation: str
    sunset: str
    link: str

    @classmethod
    def from_settings(cls, settings: DeprecationSettings) -> "SunsetHeaders":
        return cls(
            # RFC 9745 §2: a structured-field Date, `@` and seconds since the epoch.
            deprecation=f"@{int(settings.deprecated_at.timestamp())}",
            # RFC 8594 §3: an HTTP-date.
            sunset=format_datetime(settings.sunset_at, usegmt=True),
            link=f'<{settings.successor_url}>; rel="successor-version"',
        )
