"""The admin listener: liveness, readiness and the changelog, never on the public port."""

from aiohttp import web

from proxy.core.versioning import VersionBundle
from proxy.keys import BUNDLE, SETTINGS


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def versions(request: web.Request) -> web.Response:
    bundle, settings = request.app[BUNDLE], request.app[SETTINGS]
    return web.json_response(
        {
            "upstream": bundle.upstream,
            "default": settings.versions.default,
            "supported": list(bundle.supported),
            "changelog": bundle.changelog(),
        }
    )


def add_admin_routes(app: web.Application) -> None:
    app.router.add_get("/-/healthz", healthz)
    app.router.add_get("/-/readyz", healthz)
    app.router.add_get("/-/versions", versions)


def changelog_text(bundle: VersionBundle) -> str:
    lines: list[str] = []
    for entry in bundle.changelog():
        lines.append(f"{entry['version']} (served by translating {bundle.upstream}):")
        lines.extend(f"  - {change['summary']}" for change in entry["changes"])
    return "\n".join(lines)
