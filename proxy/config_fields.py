"""What a settings field holds, read from its annotation: a section, a mapping, a list, or null."""

import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

_COLLECTIONS = (dict, list, tuple, set, frozenset)


def _members(annotation: Any) -> list[Any]:
    """The types a value may have: `int | None` is [int, NoneType]; Annotated is unwrapped."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _members(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return [member for arg in get_args(annotation) for member in _members(arg)]
    return [annotation]


def nested_model(annotation: Any) -> type[BaseModel] | None:
    """The model of a field that is a section of keys (`server`, `sandbox`), else None."""
    for member in _members(annotation):
        if isinstance(member, type) and issubclass(member, BaseModel):
            return member
    return None


def is_mapping(annotation: Any) -> bool:
    return any(get_origin(member) is dict for member in _members(annotation))


def is_structured(annotation: Any) -> bool:
    """A mapping, a list or a section: a value that one plain string cannot spell."""
    return nested_model(annotation) is not None or any(
        (get_origin(member) or member) in _COLLECTIONS for member in _members(annotation)
    )


def accepts_none(annotation: Any) -> bool:
    return type(None) in _members(annotation)
