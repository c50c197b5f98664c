"""Serving benchmark apps on 127.0.0.1, the only address benchmarks use."""

import socket

from aiohttp import web

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


async def serve(app: web.Application, port: int = 0) -> tuple[web.AppRunner, str]:
    """Serves `app` on loopback (any free port by default); returns its runner and base URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, LOOPBACK, port).start()
    host, bound = runner.addresses[0][:2]
    return runner, f"http://{host}:{bound}"
