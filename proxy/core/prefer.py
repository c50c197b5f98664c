"""`Prefer: wait`, decided purely: parsing (RFC 7240), the wait budget, when to poll next."""

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from proxy.core.routes import Route, RouteTable
from proxy.core.tasks import is_settled


@dataclass(frozen=True, slots=True)
class WaitRoutes:
    """Where the proxy honours `Prefer: wait` itself, and the read of a task that waiters on it
    may share: content the translations declare, handed to the shell when the app is built."""

    held: RouteTable
    shared_read: Route


@dataclass(frozen=True, slots=True)
class Preferences:
    wait: int | None
    others: tuple[str, ...]


def _split_preferences(headers: Iterable[str]) -> list[str]:
    # RFC 7240 §2: several headers, each a comma-separated list; parameters follow `;`.
    return [part.strip() for header in headers for part in header.split(",") if part.strip()]


def _wait_value(preference: str) -> int | None:
    token, equals, rest = preference.partition(";")[0].partition("=")
    if token.strip().lower() != "wait" or not equals:
        return None
    value = rest.strip().strip('"')
    # RFC 7240 §4.3: delta-seconds; anything else is ignored, never refused.
    return int(value) if value.isascii() and value.isdigit() else None


def parse_prefer(headers: Iterable[str]) -> Preferences:
    """The client's wait (None when absent or malformed) and every other preference, verbatim."""
    wait: int | None = None
    others: list[str] = []
    for preference in _split_preferences(headers):
        name = preference.partition(";")[0].partition("=")[0].strip().lower()
        if name == "wait":
            value = _wait_value(preference)
            if wait is None and value is not None:
                wait = value  # RFC 7240 §2: the first occurrence of a preference wins
        else:
            others.append(preference)
    return Preferences(wait, tuple(others))


def wait_budget(requested: int, route_maximum: float) -> float:
    return float(min(requested, route_maximum))


def applied_wait(budget: float) -> str:
    return f"wait={math.floor(budget)}"


def is_task_envelope(document: Any) -> bool:
    return (
        isinstance(document, dict)
        and isinstance(document.get("id"), str)
        and isinstance(document.get("status"), str)
        and "retry_after_ms" in document
    )


def lifecycle_step(document: dict[str, Any]) -> int:
    """How far along a task is: 0 queued, 1 started (running, canceling), 2 settled."""
    if is_settled(document):
        return 2
    return 0 if document.get("status") == "queued" else 1


def poll_delay(document: dict[str, Any], floor: float, default: float) -> float:
    """Seconds until the next poll: never sooner than the upstream asked, nor than the floor."""
    asked = document.get("retry_after_ms")
    seconds = (
        asked / 1000 if isinstance(asked, int | float) and not isinstance(asked, bool) else default
    )
    return max(seconds, floor)
