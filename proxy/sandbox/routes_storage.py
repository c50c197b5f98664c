"""Downloads of stored files by their signed URLs (no API key, as on Moda's own URLs)."""

from aiohttp import web

from proxy.sandbox.errors import not_found
from proxy.sandbox.keys import SANDBOX_STATE

UPLOADS_PREFIX = "/api/v2/images/ref/"
EXPORTS_PREFIX = "/storage/exports/"


def add_storage_routes(app: web.Application) -> None:
    app.router.add_get(UPLOADS_PREFIX + "{name}", download)
    app.router.add_get(EXPORTS_PREFIX + "{name}", download)


async def download(request: web.Request) -> web.Response:
    storage = request.app[SANDBOX_STATE].storage
    blob = storage.open(request.path, request.query.get("h", ""))
    if blob is None:
        # One answer for unknown and wrongly signed: a URL reveals nothing it was not given.
        raise not_found("No stored file at this URL, or its signature does not match.")
    return web.Response(body=blob.content, content_type=blob.mime_type)
