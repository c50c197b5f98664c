"""One worker of a supervised proxy: the ordinary proxy app on sockets its supervisor bound.

The worker serves until SIGTERM (or SIGINT), then stops accepting and lets in-flight requests
finish within `server.shutdown_grace_seconds`. It does not drain first: its supervisor did that
before asking it to stop. It also stops, the same way, when its supervisor dies (even by SIGKILL),
so no worker outlives its supervisor.

Its admin app listens on a loopback port of the kernel's choosing; the worker tells its
supervisor where with one JSON line on standard output, then points standard output at
standard error.
"""

import asyncio
import contextlib
import ctypes
import json
import logging
import os
import signal
import socket
import sys
from typing import Final

from aiohttp import web

from proxy.app import create_admin_app
from proxy.keys import READINESS
from proxy.server.listener import start_listener
from proxy.signals import stop_event
from proxy.workers.handoff import WorkerSpec

_log = logging.getLogger(__name__)
_SUPERVISOR_CHECK_SECONDS: Final = 0.5
_PR_SET_PDEATHSIG: Final = 1  # from <linux/prctl.h>
_LOOPBACK_ANY_PORT: Final = "127.0.0.1:0"


def _stop_with_supervisor(supervisor_pid: int, stop: asyncio.Event) -> asyncio.Task[None] | None:
    """Sets `stop` when the supervisor dies; Linux signals it, elsewhere a watchdog polls."""
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
        if os.getppid() != supervisor_pid:  # it died before the kernel was told
            stop.set()
        return None
    return asyncio.ensure_future(_watch_supervisor(supervisor_pid, stop))


async def _watch_supervisor(supervisor_pid: int, stop: asyncio.Event) -> None:
    # Nothing signals a parent's death here: the worker notices being adopted by another process.
    while os.getppid() == supervisor_pid:  # noqa: ASYNC110
        await asyncio.sleep(_SUPERVISOR_CHECK_SECONDS)
    stop.set()


def _report_ready(admin_url: str) -> None:
    os.write(1, json.dumps({"admin_url": admin_url}).encode() + b"\n")
    # Nothing else may reach the supervisor's pipe, and stray output must not fill it up.
    os.dup2(2, 1)


async def serve_worker(spec: WorkerSpec, app: web.Application) -> None:
    stop = stop_event()
    watchdog = _stop_with_supervisor(spec.supervisor_pid, stop)
    sockets = [socket.socket(fileno=fd) for fd in spec.listen_fds]
    server = spec.settings.server
    async with contextlib.AsyncExitStack() as stack:
        if watchdog is not None:
            stack.callback(watchdog.cancel)
        proxy = await start_listener(app, server, sockets=sockets)
        stack.push_async_callback(proxy.close)
        admin = await start_listener(create_admin_app(app), server, listen=_LOOPBACK_ANY_PORT)
        stack.push_async_callback(admin.close)
        _report_ready(admin.url)
        _log.info("worker %d serving on %s (admin on %s)", spec.index, proxy.url, admin.url)
        await stop.wait()
        app[READINESS].draining = True
    _log.info("worker %d stopped", spec.index)
