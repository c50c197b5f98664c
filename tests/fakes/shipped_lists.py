"""An upstream answering lists in the envelopes Moda ships (`moda-api.md` §2.6b).

Cursor lists carry `returned`, `has_more`, `limit` and a `total` that is a number, `null` or
absent, as the test chooses; canvas search is an offset lane with no total. Cursors are plain
positions: this fake checks paging, not cursor secrecy.
"""

from dataclasses import dataclass, field
from typing import Any, Final

from aiohttp import web

from tests.fakes.recording import Received, RecordingUpstream

ABSENT: Final = "absent"


@dataclass
class ShippedLists:
    brand_kits: int = 350
    canvases: int = 300
    total: int | str | None = "count"  # "count", a fixed number, None, or ABSENT
    recording: RecordingUpstream = field(init=False)

    def __post_init__(self) -> None:
        self.recording = RecordingUpstream(self._respond)

    @property
    def calls(self) -> list[Received]:
        return self.recording.calls

    def calls_to(self, path: str) -> list[str]:
        """Requests to `path`, with their query strings, in the order they came."""
        return [call.path_qs for call in self.calls if call.path_qs.split("?")[0] == path]

    async def _respond(self, request: web.Request, body: bytes) -> web.StreamResponse:
        if request.path == "/v1/brand-kits":
            return self._cursor_page(request, "bk", self.brand_kits)
        if request.path == "/v1/canvases/search":
            return self._search_page(request)
        if request.path == "/v1/whoami":
            return web.json_response({"team": {"id": "team_shipped", "uuid": None, "name": "T"}})
        return web.json_response({"error": {"type": "not_found", "code": "not_found"}}, status=404)

    def _cursor_page(self, request: web.Request, prefix: str, length: int) -> web.Response:
        start = int(request.query.get("cursor", "0"))
        limit = int(request.query.get("limit", "20"))
        end = min(start + limit, length)
        items = [
            {"id": f"{prefix}_{index:04d}", "title": f"Kit {index}"} for index in range(start, end)
        ]
        page: dict[str, Any] = {
            "data": items,
            "next_cursor": str(end) if end < length else None,
            "returned": len(items),
            "has_more": end < length,
            "limit": limit,
        }
        if self.total != ABSENT:
            page["total"] = length if self.total == "count" else self.total
        return web.json_response(page)

    def _search_page(self, request: web.Request) -> web.Response:
        text = request.query.get("q", "").casefold()
        matches = [index for index in range(self.canvases) if text in f"carousel {index}"]
        offset = int(request.query.get("offset", "0"))
        limit = int(request.query.get("limit", "20"))
        window = matches[offset : offset + limit]
        return web.json_response(
            {
                "canvases": [
                    {"id": f"cvs_{index:04d}", "name": f"Carousel {index}"} for index in window
                ],
                "returned": len(window),
                "limit": limit,
                "offset": offset,
                "has_more": offset + limit < len(matches),
            }
        )
