"""Who may import whom: content stays out of the shell, the sandbox out of the config."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATED_VERSION = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            names.add(node.module)
    return names


def _modules(*folders: str) -> list[Path]:
    return sorted(path for folder in folders for path in (ROOT / folder).rglob("*.py"))


def _reaches(path: Path, package: str) -> bool:
    return any(name == package or name.startswith(f"{package}.") for name in _imports(path))


@pytest.mark.parametrize("path", _modules("proxy/server", "proxy/core", "proxy/state"), ids=str)
def test_only_the_composition_root_hands_the_shell_its_translations(path: Path) -> None:
    assert not _reaches(path, "translations"), f"{path} imports translations; pass it in from app"


@pytest.mark.parametrize("path", sorted((ROOT / "proxy").glob("config*.py")), ids=str)
def test_the_config_never_imports_the_sandbox(path: Path) -> None:
    assert not _reaches(path, "proxy.sandbox")


@pytest.mark.parametrize("path", _modules("proxy/core"), ids=str)
def test_the_core_names_no_api_version(path: Path) -> None:
    assert DATED_VERSION.search(path.read_text()) is None, "versions are declared in translations"
