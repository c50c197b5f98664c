"""The access log: one JSON line per request, written by a thread so requests never wait on I/O.

Lines skip the logging module on purpose: building a LogRecord, formatting and queueing it cost
more per request than the translation itself (bench/throughput.py).
"""

import queue
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, BinaryIO

import orjson

from proxy.logs import PROCESS_FIELDS


class AccessLog:
    def __init__(self, sink: Callable[[bytes], None] | None = None) -> None:
        self._sink = sink
        self._lines: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None

    def write(self, line: dict[str, Any]) -> None:
        stamped = {
            "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "level": "info",
            "logger": "proxy.access",
            **PROCESS_FIELDS,
            **line,
        }
        encoded = orjson.dumps(stamped) + b"\n"
        if self._sink is not None:
            self._sink(encoded)
            return
        if self._writer is None:
            self._writer = threading.Thread(
                target=self._drain, args=(sys.stderr.buffer,), daemon=True
            )
            self._writer.start()
        self._lines.put(encoded)

    def _drain(self, stream: BinaryIO) -> None:
        while (line := self._lines.get()) is not None:
            stream.write(line)
            if self._lines.empty():
                stream.flush()

    def close(self) -> None:
        if self._writer is not None:
            self._lines.put(None)
            self._writer.join(timeout=5)
            self._writer = None
