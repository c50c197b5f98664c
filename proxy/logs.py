"""Log lines as JSON objects, one per line: what log shippers and `jq` read without parsing."""

import atexit
import logging
import logging.handlers
import queue
from datetime import UTC, datetime
from typing import Final

import orjson

_STANDARD_ATTRIBUTES: Final = frozenset(vars(logging.makeLogRecord({})))


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        line["message"] = record.getMessage()
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return orjson.dumps(line).decode()


def configure_logging(level: str) -> logging.handlers.QueueListener:
    """Formats and writes on a thread of its own: a slow stderr never stalls the event loop."""
    stream = logging.StreamHandler()
    stream.setFormatter(JsonLines())
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    listener = logging.handlers.QueueListener(records, stream)
    root = logging.getLogger()
    root.handlers[:] = [logging.handlers.QueueHandler(records)]
    root.setLevel(level)
    # aiohttp's own access log would duplicate ours, with raw paths.
    logging.getLogger("aiohttp.access").disabled = True
    listener.start()
    atexit.register(listener.stop)
    return listener
