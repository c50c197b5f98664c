"""Several proxy processes behind one port and one admin listener (`--workers N|auto`).

With one worker the proxy runs in-process, as always. With more, `supervisor.supervise` runs in
the process started by the user and `python -m proxy` child processes serve: each is a worker
(`worker.serve_worker`) because its environment carries a `handoff.WorkerSpec`.
"""

from proxy.workers.handoff import WORKER_ENV, WorkerSpec, worker_count
from proxy.workers.pool import WorkerStartError
from proxy.workers.supervisor import supervise
from proxy.workers.worker import serve_worker

__all__ = [
    "WORKER_ENV",
    "WorkerSpec",
    "WorkerStartError",
    "serve_worker",
    "supervise",
    "worker_count",
]
