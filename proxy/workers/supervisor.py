"""`--workers N`: a supervisor process keeping N proxy processes on one public port.

The supervisor reads the configuration once, binds the public port (proxy.workers.sockets), runs
the embedded sandbox when `upstream.url` is `sandbox` so that every worker talks to the same one,
owns the admin listener (proxy.workers.admin) and keeps N workers serving (proxy.workers.pool).
On SIGTERM or SIGINT it reports not ready for `server.drain_seconds`, then asks every worker to
stop (each finishes its in-flight requests within `server.shutdown_grace_seconds`), waits for them
and returns.
"""

import asyncio
import contextlib
import logging
import os
import secrets

from aiohttp import web

from proxy.app import listen_url, start_embedded_sandbox
from proxy.clock import SystemClock
from proxy.config import SANDBOX, Settings, parse_listen
from proxy.server.listener import start_listener
from proxy.signals import stop_event
from proxy.workers.admin import Supervision, create_supervisor_admin_app
from proxy.workers.pool import WorkerPool
from proxy.workers.sockets import PublicPort

_log = logging.getLogger("proxy")


def _warn_about_memory_state(settings: Settings, count: int) -> None:
    if settings.state.backend == "memory":
        _log.warning(
            "state.backend is memory: each of the %d workers keeps its own pagination checkpoints, "
            "Prefer: wait loops, team ids and webhook replay ids; state.backend: redis shares them",
            count,
        )


def _worker_environment(settings: Settings) -> dict[str, str]:
    environ = dict(os.environ)
    relay_secret = settings.webhooks.relay_secret_env
    if not environ.get(relay_secret):
        # One key for every worker, or a relay URL sealed by one would fail at the others. That
        # it dies with this supervisor was logged already, when the settings were validated.
        environ[relay_secret] = secrets.token_urlsafe(32)
    return environ


def _worker_settings(settings: Settings, listen: str) -> Settings:
    """The settings as resolved, with the port a `:0` listen address resolved to.

    A missing `public_url` is filled in as a single proxy would, once: the supervisor already
    warned about it, and every worker must name the same relay URLs."""
    public_url = settings.server.public_url or listen_url(listen)
    server = settings.server.model_copy(update={"listen": listen, "public_url": public_url})
    return settings.model_copy(update={"server": server})


async def _start_sandbox(settings: Settings, stack: contextlib.AsyncExitStack) -> str:
    """The sandbox the workers share, as a single proxy embeds its own."""
    runner, url = await start_embedded_sandbox(settings, SystemClock())
    stack.push_async_callback(runner.cleanup)
    return url


async def supervise(settings: Settings, proxy: web.Application, count: int) -> None:
    """Serves with `count` workers until SIGTERM or SIGINT.

    `proxy` is the app the settings were validated with; it answers `/-/versions` and never
    serves traffic. Raises OSError when a port cannot be bound, WorkerStartError when a worker
    does not start.
    """
    stop = stop_event()
    _warn_about_memory_state(settings, count)
    public = PublicPort.bind(*parse_listen(settings.server.listen))
    async with contextlib.AsyncExitStack() as stack:
        stack.callback(public.close)
        sandbox_url = None
        if settings.upstream.url == SANDBOX:
            sandbox_url = await _start_sandbox(settings, stack)
        pool = WorkerPool(
            count,
            _worker_settings(settings, public.listen),
            public,
            _worker_environment(settings),
            sandbox_url,
        )
        supervision = Supervision(pool)
        admin_app = create_supervisor_admin_app(supervision, proxy)
        admin = await start_listener(admin_app, settings.server, listen=settings.admin.listen)
        stack.push_async_callback(admin.close)
        await pool.start()
        stack.push_async_callback(pool.stop, settings.server.shutdown_grace_seconds)
        _log.info(
            "moda-compat-proxy listening on http://%s (admin on %s) with %d workers; upstream %s; "
            "clients without Moda-Version are served %s",
            public.listen,
            admin.url,
            count,
            f"sandbox at {sandbox_url}" if sandbox_url else settings.upstream.url,
            settings.versions.default,
        )
        await stop.wait()
        # Readiness turns false first, so a load balancer stops sending before the port closes.
        supervision.draining = True
        _log.info("draining for %.1f s, then stopping the workers", settings.server.drain_seconds)
        await asyncio.sleep(settings.server.drain_seconds)
    _log.info("stopped")
