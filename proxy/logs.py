"""Log lines as JSON objects, one per line: what log shippers and `jq` read without parsing."""

import logging
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


def configure_logging(level: str) -> None:
    """Writes log lines to standard error from the thread that logs, as the access log does.

    No writer thread: log lines are rare (start, stop, warnings), and a second thread running
    Python at exit can take a signal that only the main thread may handle while the main thread
    waits for it. A worker was seen spinning in such a thread for good, under a tracer
    (coverage) on CPython 3.11, and never exiting.
    """
    stream = logging.StreamHandler()
    stream.setFormatter(JsonLines())
    root = logging.getLogger()
    root.handlers[:] = [stream]
    root.setLevel(level)
    # aiohttp's own access log would duplicate ours, with raw paths.
    logging.getLogger("aiohttp.access").disabled = True
