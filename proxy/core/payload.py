"""JSON type aliases and the small reshaping helpers changes share. Pure."""

from collections.abc import Callable
from typing import Any, TypeAlias

JSON: TypeAlias = Any
JSONObject: TypeAlias = dict[str, Any]


def object_or_empty(value: JSON) -> JSONObject:
    """`value` when it is a JSON object, `{}` when it is null; any other type is a TypeError."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TypeError(f"expected a JSON object or null, got {type(value).__name__}")
    return value


def each_item(
    migrate: Callable[[JSONObject, Any], JSONObject],
) -> Callable[[JSONObject, Any], JSONObject]:
    """Lifts an item migration to a cursor page: applies it to every object in `data`."""

    def migrate_page(page: JSONObject, context: Any) -> JSONObject:
        items = page["data"]
        if not isinstance(items, list):
            raise TypeError("a page's `data` must be a list")
        page["data"] = [migrate(object_or_empty(item), context) for item in items]
        return page

    return migrate_page
