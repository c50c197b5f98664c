"""Vocabulary and converters that several changes share."""

import math
from typing import Any, Final

from proxy.core.payload import JSONObject, object_or_empty
from proxy.core.routes import Route
from proxy.core.tasks import TASK_STATUSES

START_TASK: Final = Route("POST", "/v1/tasks")
GET_TASK: Final = Route("GET", "/v1/tasks/{id}")
CANCEL_TASK: Final = Route("POST", "/v1/tasks/{id}/cancel")
REMIX: Final = Route("POST", "/v1/remix")
TASK_ROUTES: Final = (START_TASK, GET_TASK, CANCEL_TASK, REMIX)
LIST_TASKS: Final = Route("GET", "/v1/tasks")
LIST_CANVASES: Final = Route("GET", "/v1/canvases")
SEARCH_CANVASES: Final = Route("GET", "/v1/canvases/search")
LIST_BRAND_KITS: Final = Route("GET", "/v1/brand-kits")
GET_BRAND_KIT: Final = Route("GET", "/v1/brand-kits/{id}")
LIST_ORGANIZATIONS: Final = Route("GET", "/v1/organizations")
LIST_EVENTS: Final = Route("GET", "/v1/events")
# moda-api.md §0: the pre-versioning job routes (no cancel route is documented for them).
START_JOB: Final = Route("POST", "/v1/jobs")
GET_JOB: Final = Route("GET", "/v1/jobs/{id}")
LIST_JOBS: Final = Route("GET", "/v1/jobs")
JOB_ROUTES: Final = (START_JOB, GET_JOB)


def checked_status(value: object) -> str:
    """The upstream's task status, refused when it is not one the contract knows how to serve."""
    if not isinstance(value, str) or value not in TASK_STATUSES:
        raise ValueError(f"unknown task status {value!r}")
    return value


def ms_to_whole_seconds(milliseconds: object) -> int | None:
    """Rounded up: a client told to wait 2.1 s must not poll after 2 s."""
    if milliseconds is None:
        return None
    if isinstance(milliseconds, bool) or not isinstance(milliseconds, int | float):
        raise TypeError(f"retry_after_ms must be a number, not {milliseconds!r}")
    return max(math.ceil(milliseconds / 1000), 0)


def text_or_null(value: object) -> str | None:
    """A string field as it may reach a client: a string or null, never another type."""
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"expected a string or null, got {type(value).__name__}")


def required_text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError("a task id must be a non-empty string")
    return value


def credits_or_null(value: Any) -> JSONObject | None:
    if value is None:
        return None
    credits = object_or_empty(value)
    return {key: count_or_null(credits.get(key)) for key in ("credits_used", "credits_remaining")}


def count_or_null(value: Any) -> int | None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise TypeError(f"a credit count must be an integer or null, got {type(value).__name__}")
