"""The admin listener: liveness, readiness, metrics, the changelog and the migration report, never
on the public port."""

import logging
from typing import Final

from aiohttp import web
from prometheus_client.aiohttp import make_aiohttp_handler

from proxy.errors import UpstreamError
from proxy.keys import BUNDLE, PROXY_APP, READINESS, REGISTRY, SETTINGS, STATE, UPSTREAM
from proxy.server.client_routes import add_client_routes

_log = logging.getLogger(__name__)
_PROBE_PATH: Final = "/v1/whoami"
_PROBE_TIMEOUT_SECONDS: Final = 2.0


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _probe_upstream(proxy: web.Application) -> bool:
    """Any HTTP answer, a 401 included, shows the upstream is up; no credential is sent."""
    try:
        await proxy[UPSTREAM].probe(_PROBE_PATH, _PROBE_TIMEOUT_SECONDS)
    except (UpstreamError, RuntimeError) as exc:
        _log.info("readiness probe of the upstream failed: %r", exc)
        return False
    proxy[READINESS].upstream_answered()
    return True


async def readyz(request: web.Request) -> web.Response:
    """Ready unless draining or the upstream is gone. A Redis outage is reported, not failed on:
    every replica would turn unready at once, while each can still answer from its own state."""
    proxy = request.app[PROXY_APP]
    readiness, state = proxy[READINESS], proxy[STATE]
    if state.link is not None and not state.link.available:
        await state.link.check()
    detail = {"state": state.describe()}
    if readiness.draining:
        return web.json_response({"status": "draining", **detail}, status=503)
    if readiness.upstream_recently_answered() or await _probe_upstream(proxy):
        return web.json_response({"status": "ready", **detail})
    return web.json_response({"status": "upstream unreachable", **detail}, status=503)


async def versions(request: web.Request) -> web.Response:
    proxy = request.app[PROXY_APP]
    bundle, settings = proxy[BUNDLE], proxy[SETTINGS]
    return web.json_response(
        {
            "upstream": bundle.upstream,
            "default": settings.versions.default,
            "supported": list(bundle.supported),
            "changelog": bundle.changelog(),
        }
    )


def add_admin_routes(app: web.Application, proxy: web.Application) -> None:
    app[PROXY_APP] = proxy
    app.router.add_get("/-/healthz", healthz)
    app.router.add_get("/-/readyz", readyz)
    app.router.add_get("/-/versions", versions)
    app.router.add_get("/-/metrics", make_aiohttp_handler(proxy[REGISTRY]))
    add_client_routes(app)
