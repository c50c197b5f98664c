"""Declarations of the client fields a change makes up or changes in meaning. Pure.

A change declares, per route, which client fields it may derive and a test of the body it
receives that says whether it did for this answer. The shell names the fields that were derived
in a `Moda-Compat-Derived` header and counts them by name; the changelog lists them per change.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from proxy.core.payload import JSONObject, object_or_empty

DerivedTest: TypeAlias = Callable[[JSONObject, Any], bool]


@dataclass(frozen=True, slots=True)
class DerivedField:
    """`name` is derived in an answer when `when(body, context)` holds for the body the change
    receives (before it rewrites it)."""

    name: str
    when: DerivedTest


def in_each_item(fields: tuple[DerivedField, ...]) -> tuple[DerivedField, ...]:
    """The same fields for a cursor page: derived when derived for any item of `data`."""
    return tuple(_in_any_item(field) for field in fields)


def _in_any_item(field: DerivedField) -> DerivedField:
    def in_any_item(page: JSONObject, context: Any) -> bool:
        items = page.get("data")
        if not isinstance(items, list):
            return False
        return any(field.when(object_or_empty(item), context) for item in items)

    return DerivedField(field.name, in_any_item)


def declared_names(derived: Mapping[Any, tuple[DerivedField, ...]]) -> tuple[str, ...]:
    """Every field name declared, once each, in declaration order."""
    return tuple(dict.fromkeys(field.name for fields in derived.values() for field in fields))
