"""`MODA_PROXY__<SECTION>__<KEY>` variables as a layer, each variable the origin of its key.

A variable's value is a string, as the environment holds it, and the settings convert it the way
they convert text in config.yaml: `35` to a number where the key is a number, `2026-05-01` stays
the version it spells. Only a key holding a mapping or a list takes JSON. (Read as YAML, values
like `2026-05-01` or `no` turned into dates and booleans where text was meant.)
"""

import difflib
import json
from collections.abc import Mapping
from typing import Any, Final

from pydantic import BaseModel

from proxy.config_error import ConfigError
from proxy.config_fields import accepts_none, is_mapping, is_structured, nested_model
from proxy.config_layers import KeyPath, Layer

ENV_PREFIX: Final = "MODA_PROXY__"


def variable_name(section: str, key: str) -> str:
    return f"{ENV_PREFIX}{section}__{key}".upper()


def _closest(word: str, choices: list[str]) -> str | None:
    found = difflib.get_close_matches(word, choices, n=1)
    return found[0] if found else None


def _section(name: str, section: str, key: str, model: type[BaseModel]) -> type[BaseModel]:
    known = model.model_fields.get(section)
    found = nested_model(known.annotation) if known is not None else None
    if found is not None:
        return found
    guess = _closest(section, list(model.model_fields))
    hint = ""
    if guess is not None:
        guessed = nested_model(model.model_fields[guess].annotation)
        guessed_key = _closest(key, list(guessed.model_fields)) if guessed is not None else None
        hint = f"; did you mean {variable_name(guess, guessed_key or key)}?"
    raise ConfigError(f"{name}: there is no configuration section {section!r}{hint}")


def _field_annotation(name: str, key_path: KeyPath, model: type[BaseModel]) -> Any:
    """The annotation of the key a variable names; else a ConfigError naming the variable."""
    section, key = key_path
    fields = _section(name, section, key, model).model_fields
    if key not in fields:
        guess = _closest(key, list(fields))
        hint = f"; did you mean {variable_name(section, guess)}?" if guess else ""
        raise ConfigError(f"{name}: section {section} has no key {key!r}{hint}")
    return fields[key].annotation


def _key_path(name: str) -> KeyPath:
    parts = name[len(ENV_PREFIX) :].lower().split("__")
    if len(parts) != 2 or not all(parts):
        raise ConfigError(
            f"{name}: expected {ENV_PREFIX}<SECTION>__<KEY>, such as {ENV_PREFIX}SERVER__LISTEN"
        )
    return parts[0], parts[1]


def _value(name: str, text: str, annotation: Any) -> Any:
    if text == "" and accepts_none(annotation):
        return None  # an empty variable unsets an optional key, as `null` does in the file
    if not is_structured(annotation):
        return text
    try:
        return json.loads(text)
    except ValueError:
        example = '{"key": "value"}' if is_mapping(annotation) else "[1, 5, 30]"
        raise ConfigError(f"{name}: expected JSON, such as {example}") from None


def environment_layer(environ: Mapping[str, str], model: type[BaseModel]) -> Layer:
    """Every `MODA_PROXY__…` variable; one that names no key of `model` is a ConfigError."""
    sections: dict[str, dict[str, Any]] = {}
    origins: dict[KeyPath, str] = {}
    for name in sorted(name for name in environ if name.startswith(ENV_PREFIX)):
        path = _key_path(name)
        annotation = _field_annotation(name, path, model)
        sections.setdefault(path[0], {})[path[1]] = _value(name, environ[name], annotation)
        origins[path] = name
    return Layer(sections, origins)
