"""Query-string parameters: a malformed value is a 400 naming the field, a missing required one
a 422 (the sandbox's rule on every route, as on `limit` and search's query)."""

import math
import re
from typing import Final

from proxy.sandbox.errors import SandboxError, invalid_request, validation_failed

_INTEGER: Final = re.compile(r"^[+-]?\d{1,9}$")
_TRUE: Final = frozenset({"true", "1", "yes", "on"})
_FALSE: Final = frozenset({"false", "0", "no", "off"})


def bad_query(name: str, message: str, value: str, *, code: str = "invalid") -> SandboxError:
    return invalid_request(
        message,
        details={"fields": [{"field": f"query.{name}", "code": code, "value": value}]},
    )


def missing_query(name: str) -> SandboxError:
    return validation_failed(
        [{"field": f"query.{name}", "code": "missing", "message": "Field required"}]
    )


def parse_int(raw: str | None, name: str, low: int, high: int, default: int) -> int:
    if raw is None:
        return default
    if not _INTEGER.match(raw.strip()) or not low <= int(raw) <= high:
        raise bad_query(
            name, f"{name} must be an integer from {low} to {high}.", raw, code="out_of_range"
        )
    return int(raw)


def parse_optional_int(raw: str | None, name: str, low: int, high: int) -> int | None:
    if raw is None:
        return None
    return parse_int(raw, name, low, high, default=low)


def parse_number(raw: str | None, name: str, low: float, high: float) -> float | None:
    """A decimal number within [low, high]; None when absent."""
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and low <= value <= high):
        raise bad_query(
            name, f"{name} must be a number from {low:g} to {high:g}.", raw, code="out_of_range"
        )
    return value


def parse_bool(raw: str | None, name: str, default: bool) -> bool:
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise bad_query(name, f"{name} must be true or false.", raw)
