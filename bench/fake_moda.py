"""A cheap fake Moda upstream (2026-05-01) for memory benchmarks, served in the bench's process.

- `GET /v1/canvases?limit=N[&cursor=C]`: one list of sandbox canvases (the sandbox's own seeded
  items, serialized once) paged by cursor as Moda does, `{"data": [...], "next_cursor": ...}`.
  Each credential gets its own cursors, made by the sandbox's encoder (signed, scoped to the
  credential, as long as the sandbox's), so a proxy holds them exactly as it would real ones.
- `GET /v1/tasks/{id}`: bench.task's running design Task under that id (`retry_after_ms` 3000).

It records which positions it handed a cursor for, per credential, and how often each task was
polled, so a benchmark can say how many checkpoints the proxy was given to keep.
"""

import time
from collections import Counter, defaultdict

import orjson
from aiohttp import web

from bench.task import TASK_BODY, TASK_ID
from proxy.sandbox import seed
from proxy.sandbox.cursors import SortKey, cursor_scope, encode_cursor
from proxy.sandbox.store import credential_of

LIST_PATH = "/v1/canvases"
_SECRET = "bench-fake-moda"
_HEADERS = {"Moda-Version": "2026-05-01", "Content-Type": "application/json"}


class FakeModa:
    def __init__(self, items: int) -> None:
        owner = credential_of("moda_live_bench_fake_owner")
        canvases = seed.canvases(owner, 0, items, seed.identity_for(owner).user)
        self._items = [orjson.dumps(item) for item in canvases]
        self._keys = [SortKey(item["created_at"], item["id"]) for item in canvases]
        self._positions: dict[str, int] = {}
        self.issued: defaultdict[str, set[int]] = defaultdict(set)
        self.polls: Counter[str] = Counter()

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get(LIST_PATH, self.list_page)
        app.router.add_get("/v1/tasks/{id}", self.task)
        return app

    def _cursor(self, token: str, position: int) -> str:
        scope = cursor_scope(credential_of(token), LIST_PATH, {})
        key = self._keys[position - 1]
        cursor = encode_cursor(secret=_SECRET, scope=scope, position=key, issued_at=time.time())
        self._positions[cursor] = position
        self.issued[token].add(position)
        return cursor

    async def list_page(self, request: web.Request) -> web.Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        limit = min(int(request.query.get("limit", "20")), 100)
        start = self._positions.get(request.query.get("cursor", ""), 0)
        end = min(start + limit, len(self._items))
        following = self._cursor(token, end) if end < len(self._items) else None
        body = b'{"data":[%s],"next_cursor":%s}' % (
            b",".join(self._items[start:end]),
            orjson.dumps(following),
        )
        return web.Response(body=body, headers=_HEADERS)

    async def task(self, request: web.Request) -> web.Response:
        task_id = request.match_info["id"]
        self.polls[task_id] += 1
        return web.Response(text=TASK_BODY.replace(TASK_ID, task_id), headers=_HEADERS)


def checkpoints_held(positions: set[int], page_size: int = 100, anchors: int = 1000) -> int:
    """How many of these cursors a proxy keeps for one list: anchors at multiples of the upstream
    page size (at most `anchors`) and the 16 most recent others (proxy/core/pagination.py)."""
    at_multiples = sum(1 for position in positions if position % page_size == 0)
    return min(at_multiples, anchors) + min(len(positions) - at_multiples, 16)
