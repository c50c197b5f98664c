"""The README and docs/ name only files that exist, and their links and anchors resolve."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
REPO_DIRS = ("proxy", "translations", "bench", "tests", "deploy", "docs", ".ci")

_CODE_SPAN = re.compile(r"`([^`]+)`")
_CODE_LINE = re.compile(r"^(?: {4}|\t)(.*)$", flags=re.MULTILINE)
_REPO_PATH = re.compile(rf"^(?:{'|'.join(re.escape(d) for d in REPO_DIRS)})/\S*$")
_BENCH_MODULE = re.compile(r"^bench\.(\w+)$")
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
_MARKDOWN_NAME = re.compile(r"[\w./-]+\.md\b")
_HEADING = re.compile(r"^#{1,6} +(.+?) *#*$", flags=re.MULTILINE)


def _ids(doc: Path) -> list[str]:
    return [str(doc.relative_to(ROOT))]


def _tokens(text: str) -> list[str]:
    """Words inside inline code and indented code blocks, where file names are written."""
    chunks = _CODE_SPAN.findall(text) + _CODE_LINE.findall(text)
    return [word.rstrip(",;:)") for chunk in chunks for word in chunk.split()]


def _named_path(token: str) -> Path | None:
    """The repository path a token names: `proxy/app.py`, `tests/<case>/` → `tests/`, `bench.x`."""
    if module := _BENCH_MODULE.match(token):
        return ROOT / "bench" / f"{module[1]}.py"
    if not _REPO_PATH.match(token):
        return None
    if "<" in token:  # a placeholder: the folder before it must exist
        token = token[: token.index("<")].rsplit("/", 1)[0]
    return ROOT / token


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.replace("`", "").strip().lower())
    return text.replace(" ", "-")


def _anchors(doc: Path) -> set[str]:
    seen: dict[str, int] = {}
    anchors: set[str] = set()
    for heading in _HEADING.findall(doc.read_text()):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        anchors.add(base if count == 0 else f"{base}-{count}")
    return anchors


def test_the_docs_exist_and_the_readme_fits_on_a_screen() -> None:
    names = {doc.name for doc in DOCS if doc.parent.name == "docs"}
    expected = {"clients", "configuration", "operations", "scaling", "security", "design"}
    assert names == {f"{name}.md" for name in expected}
    assert len((ROOT / "README.md").read_text().splitlines()) <= 150


@pytest.mark.parametrize("doc", DOCS, ids=_ids)
def test_every_repository_path_named_exists(doc: Path) -> None:
    named = {token: _named_path(token) for token in _tokens(doc.read_text())}
    missing = sorted(token for token, path in named.items() if path and not path.exists())
    assert missing == []


@pytest.mark.parametrize("doc", DOCS, ids=_ids)
def test_every_relative_link_and_anchor_resolves(doc: Path) -> None:
    broken: list[str] = []
    for target in _LINK.findall(doc.read_text()):
        if re.match(r"^[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        linked = (doc.parent / path).resolve() if path else doc
        if not linked.exists() or (anchor and anchor not in _anchors(linked)):
            broken.append(target)
    assert broken == []


@pytest.mark.parametrize("doc", DOCS, ids=_ids)
def test_every_markdown_file_mentioned_is_in_the_repository(doc: Path) -> None:
    mentioned = set(_MARKDOWN_NAME.findall(doc.read_text()))
    places = (doc.parent, ROOT, ROOT / "docs")
    missing = sorted(name for name in mentioned if not any((p / name).exists() for p in places))
    assert missing == []


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("Brand kits: `team_id`", "brand-kits-team_id"),
        ("`Prefer: wait`", "prefer-wait"),
        ("`total`, `X-Total-Exact` and `has_more`", "total-x-total-exact-and-has_more"),
        (
            "Scaling out: workers, replicas and shared state",
            "scaling-out-workers-replicas-and-shared-state",
        ),
    ],
)
def test_anchors_are_made_as_github_makes_them(heading: str, anchor: str) -> None:
    assert slug(heading) == anchor


def _pytest_arguments(line: str) -> str:
    return line.split("-m pytest", 1)[1].strip()


def test_ci_runs_the_readmes_test_command() -> None:
    readme = [line for line in (ROOT / "README.md").read_text().splitlines() if "-m pytest" in line]
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if "-m pytest" in line]
    assert len(readme) == len(ci) == 1
    assert _pytest_arguments(readme[0]) == _pytest_arguments(ci[0])
    assert ci[0].startswith(".venv/bin/python -m coverage run -m pytest")
