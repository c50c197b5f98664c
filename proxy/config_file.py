"""config.yaml as a layer: its sections, and the line each key is on, for error messages."""

from pathlib import Path
from typing import Any

import yaml

from proxy.config_error import ConfigError
from proxy.config_layers import KeyPath, Layer


def _where(path: Path, mark: yaml.Mark | None) -> str:
    if mark is None:
        return str(path)
    return f"{path}, line {mark.line + 1}, column {mark.column + 1}"


def _parse(path: Path, text: str) -> tuple[Any, yaml.Node | None]:
    """The document and its node tree (which keeps where each key was written)."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        return (loader.construct_document(node) if node is not None else None), node
    except yaml.MarkedYAMLError as exc:
        # PyYAML's own message spans several lines with a caret drawing; the problem and its
        # position are what an operator needs.
        problem = exc.problem or exc.context or "unreadable"
        raise ConfigError(f"{_where(path, exc.problem_mark)}: not valid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    finally:
        loader.dispose()


def _key_lines(node: yaml.Node | None, prefix: KeyPath, into: dict[KeyPath, int]) -> None:
    if not isinstance(node, yaml.MappingNode):
        return
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode):
            path = (*prefix, str(key_node.value))
            into[path] = key_node.start_mark.line + 1
            _key_lines(value_node, path, into)


def file_layer(path: Path) -> Layer:
    """The file's sections, each key's origin being `PATH, line N`; else a one-line ConfigError."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    data, node = _parse(path, text)
    if data is None:
        return Layer({})
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the configuration must be a mapping of sections")
    lines: dict[KeyPath, int] = {}
    _key_lines(node, (), lines)
    return Layer(data, {key: f"{path}, line {line}" for key, line in lines.items()})
