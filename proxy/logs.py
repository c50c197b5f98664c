"""Log lines as JSON objects, one per line: what log shippers and `jq` read without parsing."""

import atexit
import logging
import logging.handlers
import queue
from datetime import UTC, datetime

import orjson

# Fields every line of this process carries, e.g. which worker of a supervised proxy wrote it.
PROCESS_FIELDS: dict[str, object] = {}


def tag_log_lines(**fields: object) -> None:
    """Adds `fields` to every log and access line this process writes from now on."""
    PROCESS_FIELDS.update(fields)


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            **PROCESS_FIELDS,
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
