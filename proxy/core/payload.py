"""JSON type aliases and the small reshaping helpers changes share. Pure."""

from collections.abc import Callable
from typing import Any, TypeAlias

JSON: TypeAlias = Any
JSONObject: TypeAlias = dict[str, Any]
BodyMigration: TypeAlias = Callable[[JSONObject], JSONObject]


def object_or_empty(value: JSON) -> JSONObject:
    """`value` when it is a JSON object, `{}` when it is null; any other type is a TypeError."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TypeError(f"expected a JSON object or null, got {type(value).__name__}")
    return value
