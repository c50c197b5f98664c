"""Configuration in layers (defaults < file < environment < flags), each value with its origin.

An origin is what an operator would edit to fix a value: `config.yaml, line 4`, a variable such as
`MODA_PROXY__SERVER__LISTEN`, or a flag such as `--listen`. Error messages name it.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

KeyPath = tuple[str, ...]


@dataclass(frozen=True)
class Layer:
    """One source's sections (section → key → value) and the origin of each key it sets."""

    sections: Mapping[str, Any]
    origins: Mapping[KeyPath, str] = field(default_factory=dict)


def merge_layers(layers: Iterable[Layer]) -> Layer:
    """Later layers win key by key within a section, as `--listen` beats `server.listen`."""
    sections: dict[str, Any] = {}
    origins: dict[KeyPath, str] = {}
    for layer in layers:
        for section, values in layer.sections.items():
            current = sections.get(section)
            if isinstance(values, dict):
                sections[section] = {**(current if isinstance(current, dict) else {}), **values}
                for key in values:
                    _forget_under(origins, (section, key))
            else:
                sections[section] = values
                _forget_under(origins, (section,))
        origins.update(layer.origins)
    return Layer(sections, origins)


def _forget_under(origins: dict[KeyPath, str], path: KeyPath) -> None:
    """A replaced value's old origins go, e.g. the file lines of a mapping a variable replaced."""
    for known in [known for known in origins if known[: len(path)] == path]:
        del origins[known]


def origin_of(origins: Mapping[KeyPath, str], path: KeyPath) -> str | None:
    """The origin of the value at `path`, or of the nearest enclosing value that has one."""
    for length in range(len(path), 0, -1):
        origin = origins.get(path[:length])
        if origin is not None:
            return origin
    return None
