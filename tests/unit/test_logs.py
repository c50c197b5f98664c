"""Log lines: JSON, written at once by the thread that logs, with no writer thread of their own."""

import logging
import threading
from collections.abc import Iterator

import orjson
import pytest

from proxy.logs import PROCESS_FIELDS, configure_logging, tag_log_lines


@pytest.fixture
def restored_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    fields = dict(PROCESS_FIELDS)
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    PROCESS_FIELDS.clear()
    PROCESS_FIELDS.update(fields)
    logging.getLogger("aiohttp.access").disabled = False


def test_a_line_reaches_stderr_before_the_call_returns_and_no_thread_is_started(
    restored_logging: None, capfd: pytest.CaptureFixture[str]
) -> None:
    threads = set(threading.enumerate())
    configure_logging("INFO")
    tag_log_lines(worker=3)
    logging.getLogger("proxy.test").warning("upstream %s is slow", "sandbox")
    line = orjson.loads(capfd.readouterr().err)
    assert set(threading.enumerate()) == threads
    assert (line["level"], line["logger"], line["worker"]) == ("warning", "proxy.test", 3)
    assert line["message"] == "upstream sandbox is slow"


def test_lines_below_the_level_are_dropped_and_aiohttp_access_lines_are_off(
    restored_logging: None, capfd: pytest.CaptureFixture[str]
) -> None:
    configure_logging("WARNING")
    logging.getLogger("proxy.test").info("not written")
    logging.getLogger("aiohttp.access").warning("GET /v1/tasks 200")
    assert capfd.readouterr().err == ""
