"""Tests that start processes carry the `process` marker, so that `pytest -m "not process"` (the
fast set of docs/design.md) really leaves them out."""

from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
STARTS_A_PROCESS = ("running_proxy(", "run_proxy(", "RedisServer(", "create_subprocess_exec(")


def test_every_test_module_that_starts_a_process_is_marked() -> None:
    starting = [
        path
        for path in TESTS.rglob("test_*.py")
        if path != Path(__file__).resolve()
        and any(call in path.read_text() for call in STARTS_A_PROCESS)
    ]
    unmarked = [path.name for path in starting if "pytest.mark.process" not in path.read_text()]

    assert len(starting) >= 4
    assert unmarked == []
