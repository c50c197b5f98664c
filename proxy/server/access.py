"""The access log: one JSON line per request, batched and written from the event loop.

Lines skip the logging module on purpose: building a LogRecord, formatting and queueing it cost
more per request than the translation itself (bench/throughput.py). They skip a writer thread too:
handing each line to one cost a GIL hand-off per request. Instead a line is encoded when its
request ends and kept in memory; the first line after a flush schedules the next flush for the
following loop iteration, which writes every line kept since with one write. Lines kept between
two flushes finished in the same loop iteration and share its timestamp, read once (`ts`, to the
millisecond, in UTC).

Nothing kept is lost on shutdown: `close()`, run when the app is cleaned up after SIGTERM or
SIGINT, writes what is left, and an exit hook does the same should the process exit without
cleaning up.
"""

import asyncio
import atexit
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson

from proxy.logs import PROCESS_FIELDS


def _write_to_stderr(batch: bytes) -> None:
    # Looked up on each flush: whoever owns standard error (a test's capture) may replace it.
    stream = sys.stderr.buffer
    stream.write(batch)
    stream.flush()


_second: list[Any] = [None, ""]


def _timestamp() -> str:
    """Now, as `isoformat(timespec="milliseconds")` writes it in UTC; the part up to the second
    is formatted once a second rather than on every line."""
    now = time.time()
    second = int(now)
    if _second[0] != second:
        _second[0] = second
        _second[1] = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{_second[1]}.{int((now - second) * 1000):03d}+00:00"


def _line_prefix(stamp: str) -> bytes:
    """The start of every line of a batch: `{`, its fields shared by all lines, and a comma."""
    shared: dict[str, Any] = {"ts": stamp, "level": "info", "logger": "proxy.access"}
    shared.update(PROCESS_FIELDS)
    return orjson.dumps(shared)[:-1] + b","


class AccessLog:
    def __init__(self, sink: Callable[[bytes], None] | None = None) -> None:
        """`sink` receives batches of whole lines, each ending in a newline; by default they go
        to standard error."""
        self._sink = sink or _write_to_stderr
        self._pending: list[bytes] = []
        self._batch_prefix = b""
        self._flush_scheduled = False
        if sink is None:
            atexit.register(self.flush)

    def write(self, line: dict[str, Any]) -> None:
        pending = self._pending
        if not pending:
            # Lines finished in one loop iteration share its moment: one clock read a batch.
            self._batch_prefix = _line_prefix(_timestamp())
        # The line's own fields follow the shared ones: the prefix, then `line` without its `{`.
        fields = orjson.dumps(line, option=orjson.OPT_APPEND_NEWLINE)
        pending.append(self._batch_prefix if len(fields) > 3 else self._batch_prefix[:-1])
        pending.append(fields[1:])
        if not self._flush_scheduled:
            self._schedule_flush()

    def _schedule_flush(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop to batch on: write at once
            self.flush()
            return
        self._flush_scheduled = True
        loop.call_soon(self.flush)

    def flush(self) -> None:
        """Writes every line kept so far, in one batch."""
        self._flush_scheduled = False
        if not self._pending:
            return
        batch = b"".join(self._pending)
        self._pending.clear()
        self._sink(batch)

    def close(self) -> None:
        self.flush()
