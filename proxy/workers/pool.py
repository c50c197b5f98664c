"""The worker processes of a supervised proxy: started, watched, replaced and stopped."""

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import proxy
from proxy.clock import Clock, SystemClock
from proxy.config import Settings
from proxy.workers.backoff import RestartBackoff
from proxy.workers.handoff import WORKER_ENV, WorkerSpec
from proxy.workers.sockets import PublicPort

_log = logging.getLogger(__name__)
STARTUP_TIMEOUT_SECONDS: Final = 30.0
# Beyond the workers' own grace: time to run their shutdown hooks and exit.
_EXIT_SLACK_SECONDS: Final = 5.0


WorkerState = Literal["starting", "serving", "restarting"]


class WorkerStartError(Exception):
    """A worker could not start; the message is one readable line."""


@dataclass
class Worker:
    """One worker slot: the process serving it now, and how often it was replaced."""

    index: int
    process: asyncio.subprocess.Process | None = None
    admin_url: str | None = None
    restarts: int = 0

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    @property
    def state(self) -> WorkerState:
        """`serving` once it told its supervisor where its admin app is, until it exits."""
        if not self.running:
            return "restarting"
        return "starting" if self.admin_url is None else "serving"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None and self.running else None


def _worker_command() -> list[str]:
    """`python -m proxy`, sure to import the package this supervisor runs: `-P` keeps the working
    directory (which may hold some other `proxy`) off sys.path, unless this package came from it."""
    package_root = Path(proxy.__file__).resolve().parent.parent
    isolated = [] if package_root == Path.cwd().resolve() else ["-P"]
    return [sys.executable, *isolated, "-m", "proxy"]


async def _read_admin_url(process: asyncio.subprocess.Process) -> str | None:
    """The worker's one report line; None when it exited without sending it."""
    if process.stdout is None:
        raise RuntimeError("the worker was started without a report pipe")
    line = await process.stdout.readline()
    if not line:
        return None
    try:
        return str(json.loads(line)["admin_url"])
    except (KeyError, TypeError) as exc:
        raise ValueError(f"not a worker report: {line!r}") from exc


class WorkerPool:
    def __init__(
        self,
        count: int,
        settings: Settings,
        port: PublicPort,
        environ: Mapping[str, str],
        sandbox_url: str | None,
        clock: Clock | None = None,
    ) -> None:
        self.workers = [Worker(index) for index in range(count)]
        self._settings, self._port = settings, port
        self._environ, self._sandbox_url = dict(environ), sandbox_url
        self._clock = clock or SystemClock()
        self._keepers: list[asyncio.Task[None]] = []

    @property
    def restarts(self) -> int:
        return sum(worker.restarts for worker in self.workers)

    async def start(self) -> None:
        """Starts every worker and waits until each serves; else stops them all and raises."""
        launches = [self._launch(worker) for worker in self.workers]
        failures = [
            outcome
            for outcome in await asyncio.gather(*launches, return_exceptions=True)
            if isinstance(outcome, BaseException)
        ]
        if failures:
            await self.stop(grace_seconds=0.0)
            raise failures[0]
        self._keepers = [asyncio.create_task(self._keep(worker)) for worker in self.workers]

    async def _launch(self, worker: Worker) -> None:
        sockets = self._port.for_worker()
        spec = WorkerSpec(
            index=worker.index,
            supervisor_pid=os.getpid(),
            listen_fds=tuple(sock.fileno() for sock in sockets),
            settings=self._settings,
            sandbox_url=self._sandbox_url,
        )
        try:
            worker.admin_url = None
            # A session of its own: a Ctrl-C in a terminal reaches the supervisor only, which
            # drains before it stops the workers.
            worker.process = await asyncio.create_subprocess_exec(
                *_worker_command(),
                env={**self._environ, WORKER_ENV: spec.encode()},
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                pass_fds=spec.listen_fds,
                start_new_session=True,
            )
        finally:
            self._port.release(sockets)
        await self._await_report(worker, worker.process)

    async def _await_report(self, worker: Worker, process: asyncio.subprocess.Process) -> None:
        try:
            async with asyncio.timeout(STARTUP_TIMEOUT_SECONDS):
                admin_url = await _read_admin_url(process)
        except (TimeoutError, ValueError) as exc:
            process.kill()
            await process.wait()
            problem = "did not start in time" if isinstance(exc, TimeoutError) else "misreported"
            raise WorkerStartError(f"worker {worker.index} {problem}") from None
        if admin_url is None:
            status = await process.wait()
            raise WorkerStartError(
                f"worker {worker.index} exited with status {status} while starting"
            )
        worker.admin_url = admin_url

    async def _keep(self, worker: Worker) -> None:
        """Replaces the worker whenever it exits, pausing longer while it keeps failing."""
        backoff = RestartBackoff(self._clock)
        backoff.serving()
        while worker.process is not None:
            status = await worker.process.wait()
            pause = backoff.next_pause()
            _log.warning(
                "worker %d (pid %d) exited with status %d; replacing it in %.1f s",
                worker.index,
                worker.process.pid,
                status,
                pause,
            )
            while True:
                await self._clock.sleep(pause)
                worker.restarts += 1
                try:
                    await self._launch(worker)
                except (WorkerStartError, OSError) as exc:
                    pause = backoff.next_pause()
                    _log.error(
                        "worker %d: the replacement did not start (%s); retrying in %.1f s",
                        worker.index,
                        exc,
                        pause,
                    )
                else:
                    backoff.serving()
                    _log.info("worker %d serves again (pid %d)", worker.index, worker.process.pid)
                    break

    async def stop(self, grace_seconds: float) -> None:
        """SIGTERM to every worker; each gets `grace_seconds` (plus slack) to exit, then SIGKILL."""
        for keeper in self._keepers:
            keeper.cancel()
        await asyncio.gather(*self._keepers, return_exceptions=True)
        running = [worker.process for worker in self.workers if worker.process and worker.running]
        for process in running:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        await asyncio.gather(*(self._reap(process, grace_seconds) for process in running))

    @staticmethod
    async def _reap(process: asyncio.subprocess.Process, grace_seconds: float) -> None:
        try:
            async with asyncio.timeout(grace_seconds + _EXIT_SLACK_SECONDS):
                await process.wait()
        except TimeoutError:
            _log.warning("worker pid %d did not stop in time: killing it", process.pid)
            process.kill()
            await process.wait()
