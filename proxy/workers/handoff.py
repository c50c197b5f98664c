"""What a supervisor hands each worker: resolved settings, its listening sockets, the sandbox.

A worker is `python -m proxy` started with one environment variable, `MODA_PROXY_WORKER`, holding
this as JSON. The configuration file, the `MODA_PROXY__…` variables and the flags are read once, by
the supervisor; the worker re-validates the settings it is given and reads nothing else.
"""

import json
import os
from dataclasses import dataclass
from typing import Any, Final, Literal

from proxy.config import ConfigError, Settings

WORKER_ENV: Final = "MODA_PROXY_WORKER"
# The same ceiling server.workers has: more workers than this only add scheduling overhead.
_MOST_WORKERS: Final = 64


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, e.g. a container's cpuset)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def worker_count(setting: int | Literal["auto"]) -> int:
    """`server.workers` as a number: `auto` is one worker per usable core."""
    if setting == "auto":
        return min(usable_cores(), _MOST_WORKERS)
    return setting


@dataclass(frozen=True)
class WorkerSpec:
    index: int
    supervisor_pid: int
    listen_fds: tuple[int, ...]
    settings: Settings
    # Set when `upstream.url: sandbox` names the supervisor's sandbox rather than one of its own.
    sandbox_url: str | None = None

    def encode(self) -> str:
        return json.dumps(
            {
                "index": self.index,
                "supervisor_pid": self.supervisor_pid,
                "listen_fds": list(self.listen_fds),
                "settings": self.settings.model_dump(mode="json"),
                "sandbox_url": self.sandbox_url,
            }
        )

    @classmethod
    def decode(cls, text: str) -> "WorkerSpec":
        try:
            data: dict[str, Any] = json.loads(text)
            return cls(
                index=int(data["index"]),
                supervisor_pid=int(data["supervisor_pid"]),
                listen_fds=tuple(int(fd) for fd in data["listen_fds"]),
                settings=Settings.model_validate(data["settings"]),
                sandbox_url=data["sandbox_url"],
            )
        except (ValueError, TypeError, KeyError) as exc:
            # pydantic's ValidationError is a ValueError.
            raise ConfigError(f"{WORKER_ENV}: not a worker hand-off ({exc})") from exc
