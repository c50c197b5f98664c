"""Pydantic's validation errors in plain words, for one line that names the key.

Pydantic speaks of `constrained-int`, `Extra inputs are not permitted` and `[type=…]`: this says
what the key expects instead, and drops the union branch names pydantic puts in an error's path.
"""

import difflib
from datetime import date, datetime
from typing import Any, Final

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from proxy.config_fields import is_mapping, nested_model
from proxy.config_layers import KeyPath

_SHOWN_CHARACTERS: Final = 40
_EXPECTED: Final = {
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_parsing": "a number",
    "float_type": "a number",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "string_type": "text",
    "dict_type": "a mapping of keys to values",
    "model_type": "a mapping of keys to values",
    "model_attributes_type": "a mapping of keys to values",
    "list_type": "a list",
    "tuple_type": "a list",
    "datetime_type": "a date and time such as 2026-05-01T00:00:00Z",
    "datetime_parsing": "a date and time such as 2026-05-01T00:00:00Z",
    "datetime_from_date_parsing": "a date and time such as 2026-05-01T00:00:00Z",
    "timezone_aware": "a date and time with its time zone, such as 2026-05-01T00:00:00Z",
}
# Errors about the shape of a value: the message says what kind of value came, not what it was.
_SHAPES: Final = frozenset(
    {"string_type", "dict_type", "model_type", "model_attributes_type", "list_type", "tuple_type"}
)
# bool before int: True is an int to Python, but not to whoever wrote it.
_KINDS: Final[tuple[tuple[type, str], ...]] = (
    (bool, "true or false"),
    (int, "a number"),
    (float, "a number"),
    (str, "text"),
    (dict, "a mapping"),
    (list, "a list"),
)
_BOUNDS: Final = {
    "greater_than": ("gt", "more than"),
    "greater_than_equal": ("ge", "at least"),
    "less_than": ("lt", "less than"),
    "less_than_equal": ("le", "at most"),
}


def key_path(model: type[BaseModel], loc: tuple[int | str, ...]) -> KeyPath:
    """The keys an operator wrote, from an error's `loc`: fields, an unknown key, a mapping's key.

    What follows them in `loc` (a union branch such as `constrained-int`, a list index) is not
    something anyone wrote in a config file."""
    path: list[str] = []
    section: type[BaseModel] | None = model
    annotation: Any = None
    for part in loc:
        if section is not None:
            path.append(str(part))
            known = section.model_fields.get(str(part))
            if known is None:
                break
            annotation, section = known.annotation, nested_model(known.annotation)
        else:
            if is_mapping(annotation) and isinstance(part, str):
                path.append(part)
            break
    return tuple(path)


def _section_at(model: type[BaseModel], path: KeyPath) -> type[BaseModel] | None:
    section: type[BaseModel] | None = model
    for part in path:
        known = section.model_fields.get(part) if section is not None else None
        section = nested_model(known.annotation) if known is not None else None
    return section


def _unknown_key(model: type[BaseModel], path: KeyPath) -> str:
    section = _section_at(model, path[:-1])
    known = list(section.model_fields) if section is not None else []
    guesses = difflib.get_close_matches(path[-1], known, n=1)
    if guesses:
        return f"unknown key; did you mean {'.'.join((*path[:-1], guesses[0]))}?"
    return f"unknown key; {'.'.join(path[:-1]) or 'the top level'} has {', '.join(known)}"


def _shown(value: object) -> str:
    if isinstance(value, date) and not isinstance(value, datetime):
        return f"the date {value.isoformat()} (quote it to make it text)"
    text = repr(value)
    if len(text) > _SHOWN_CHARACTERS:
        text = text[: _SHOWN_CHARACTERS - 1] + "…"
    return text


def _kind_of(value: object) -> str:
    """A wrong value's kind, not the value: text given where a section belongs may be a secret."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, date) and not isinstance(value, datetime):
        return _shown(value)
    return next((name for kind, name in _KINDS if isinstance(value, kind)), type(value).__name__)


def _bound(detail: ErrorDetails) -> str | None:
    context = detail.get("ctx") or {}
    bound = _BOUNDS.get(detail["type"])
    if bound is None or bound[0] not in context:
        return None
    return f"must be {bound[1]} {context[bound[0]]}, got {_shown(detail['input'])}"


def plain_problem(model: type[BaseModel], path: KeyPath, detail: ErrorDetails) -> str:
    """What is wrong with the value at `path`, in the words of the settings, not of pydantic."""
    kind, context = detail["type"], detail.get("ctx") or {}
    if kind == "extra_forbidden":
        return _unknown_key(model, path)
    if kind == "value_error" and "error" in context:
        return str(context["error"])  # the settings' own validators already speak plainly
    if kind == "literal_error":
        return f"expected {context.get('expected')}, got {_shown(detail['input'])}"
    if kind == "string_too_short" and context.get("min_length") == 1:
        return "must not be empty"
    bound = _bound(detail)
    if bound is not None:
        return bound
    if kind in _SHAPES:
        return f"expected {_EXPECTED[kind]}, got {_kind_of(detail['input'])}"
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {_shown(detail['input'])}"
    return str(detail["msg"])
