"""Upstream cost of legacy offset pagination over a 10,000-item cursor list, and checkpoint memory.

Run from the project root:

    .venv/bin/python -m bench.pagination [--items 10000]

It starts the sandbox Moda API and the proxy on loopback in this process, seeds one credential with
`--items` canvases, and reports:
- upstream requests per legacy page while iterating the whole list with `limit=20` (target <= 1.05),
  not counting the requests that establish `total`, which are reported on their own (target: at
  most ceil(items/100) per list per cache lifetime);
- upstream requests for a cold jump to `offset=9000` (target <= 91), without and with counting;
- upstream requests per legacy page of `GET /v1/brand-kits` (`--kits` kits), first page included,
  where the upstream counts the list (`total` in its pages): target exactly 1;
- upstream requests for `GET /v1/canvases/search?offset=20&limit=5` (search is an offset lane
  upstream): target exactly 1;
- the memory that 100,000 checkpoints hold in the pagination cache.
"""

import argparse
import asyncio
import math
import tracemalloc
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.typedefs import Handler

from bench.loopback import serve
from proxy.app import create_app
from proxy.clock import SystemClock
from proxy.config import settings_from
from proxy.core.pagination import Checkpoints, ListState
from proxy.sandbox.app import SANDBOX_STATE, create_sandbox_app
from proxy.sandbox.settings import SandboxSettings
from proxy.secrets import WebhookSecrets

LIST_PATH = "/v1/canvases"
KITS_PATH = "/v1/brand-kits"
SEARCH_PATH = "/v1/canvases/search"
SEEDED = 45  # the sandbox seeds this many canvases per account before --items are added


def _sandbox(calls: list[str], lane_calls: list[str]) -> web.Application:
    app = create_sandbox_app(SandboxSettings(cursor_ttl_seconds=3600), SystemClock())

    @web.middleware
    async def count(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path == LIST_PATH:
            calls.append(request.raw_path)
        elif request.path in {KITS_PATH, SEARCH_PATH}:
            lane_calls.append(request.path)
        return await handler(request)

    app.middlewares.insert(0, count)
    return app


async def _get(session: aiohttp.ClientSession, url: str, token: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}", "Moda-Version": "2026-04-12"}
    async with session.get(url, headers=headers) as response:
        response.raise_for_status()
        document: dict[str, Any] = await response.json()
        return document


async def _iterate(
    session: aiohttp.ClientSession, proxy_url: str, token: str, calls: list[str], total: int
) -> tuple[int, int, int]:
    """Reads the list page by page; returns (pages, requests for the first page, for the rest)."""
    first = await _get(session, f"{proxy_url}{LIST_PATH}?offset=0&limit=20", token)
    assert first["total"] == total, first["total"]
    first_cost, pages, offset = len(calls), 1, 20
    while offset < total:
        page = await _get(session, f"{proxy_url}{LIST_PATH}?offset={offset}&limit=20", token)
        assert page["offset"] == offset
        pages, offset = pages + 1, offset + 20
    return pages, first_cost, len(calls) - first_cost


async def _cursor_length(session: aiohttp.ClientSession, sandbox_url: str, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    async with session.get(f"{sandbox_url}{LIST_PATH}?limit=100", headers=headers) as response:
        document = await response.json()
        return len(document["next_cursor"])


async def _cold_jump(proxy_url: str, token: str, calls: list[str]) -> int:
    async with aiohttp.ClientSession() as session:
        before = len(calls)
        page = await _get(session, f"{proxy_url}{LIST_PATH}?offset=9000&limit=20", token)
        assert page["offset"] == 9000
        assert len(page["canvases"]) == 20
        return len(calls) - before


async def _counted_kits(
    session: aiohttp.ClientSession, proxy_url: str, token: str, lane_calls: list[str]
) -> tuple[int, int]:
    """Reads every brand-kit page in order; returns (pages, upstream requests for them)."""
    lane_calls.clear()
    pages, offset, has_more = 0, 0, True
    while has_more:
        page = await _get(session, f"{proxy_url}{KITS_PATH}?offset={offset}&limit=20", token)
        assert page["offset"] == offset
        pages, offset, has_more = pages + 1, offset + 20, page["has_more"]
    return pages, lane_calls.count(KITS_PATH)


async def _search_page(
    session: aiohttp.ClientSession, proxy_url: str, token: str, lane_calls: list[str]
) -> int:
    lane_calls.clear()
    url = f"{proxy_url}{SEARCH_PATH}?offset=20&limit=5&query=carousel"
    page = await _get(session, url, token)
    assert (page["offset"], len(page["canvases"])) == (20, 5), page
    return lane_calls.count(SEARCH_PATH)


async def _measure(items: int, kits: int) -> dict[str, float]:
    calls: list[str] = []
    lane_calls: list[str] = []
    sandbox_app = _sandbox(calls, lane_calls)
    tokens = ["moda_live_bench_iterate", "moda_live_bench_jump", "moda_live_bench_jump_counted"]
    for token in tokens:
        sandbox_app[SANDBOX_STATE].account(token).add_canvases(items - SEEDED)
    kits_account = sandbox_app[SANDBOX_STATE].account(tokens[0])
    kits_account.add_brand_kits(kits - len(kits_account.brand_kits))
    sandbox, sandbox_url = await serve(sandbox_app)
    secrets = WebhookSecrets(relay_key=b"bench-relay-key")
    counted, counted_url = await serve(
        create_app(settings_from({"upstream": {"url": sandbox_url}}), secrets=secrets)
    )
    uncounted, uncounted_url = await serve(
        create_app(
            settings_from({"upstream": {"url": sandbox_url}, "pagination": {"count_max_pages": 0}}),
            secrets=secrets,
        )
    )
    try:
        async with aiohttp.ClientSession() as session:
            pages, first, rest = await _iterate(session, counted_url, tokens[0], calls, items)
            cursor_length = await _cursor_length(session, sandbox_url, tokens[0])
            kit_pages, kit_requests = await _counted_kits(
                session, counted_url, tokens[0], lane_calls
            )
            search_requests = await _search_page(session, counted_url, tokens[0], lane_calls)
        jump = await _cold_jump(uncounted_url, tokens[1], calls)
        jump_counted = await _cold_jump(counted_url, tokens[2], calls)
    finally:
        for runner in (counted, uncounted, sandbox):
            await runner.cleanup()
    return {
        "pages": pages,
        "first_page_requests": first,
        "later_requests": rest,
        "jump": jump,
        "jump_counted": jump_counted,
        "cursor_length": cursor_length,
        "kit_pages": kit_pages,
        "kit_requests": kit_requests,
        "search_requests": search_requests,
    }


def _checkpoint_memory(count: int, cursor_length: int) -> int:
    """Bytes held by `count` checkpoints, in lists of 1,000 anchors as the cache keeps them."""
    lists = math.ceil(count / 1000)
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    states: list[ListState] = []
    for list_number in range(lists):
        state = ListState(Checkpoints(max_anchors=1000, page_size=100))
        for anchor in range(1, 1001):
            cursor = f"{list_number:06d}{anchor:06d}".ljust(cursor_length, "x")
            state.checkpoints.remember(anchor * 100, cursor)
        states.append(state)
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    assert sum(len(state.checkpoints) for state in states) == lists * 1000
    return sum(stat.size_diff for stat in after.compare_to(before, "filename"))


def _report(items: int, figures: dict[str, float], memory: int, cursor_length: int) -> None:
    later_pages = figures["pages"] - 1
    per_page = (1 + figures["later_requests"]) / figures["pages"]
    counting = figures["first_page_requests"] - 1
    kit_per_page = figures["kit_requests"] / figures["kit_pages"]
    rows: list[tuple[str, str, str, Callable[[], bool]]] = [
        (
            "upstream requests per legacy page (limit=20)",
            f"{per_page:.3f} over {figures['pages']:.0f} pages",
            "<= 1.05",
            lambda: per_page <= 1.05,
        ),
        (
            "requests establishing total (first page)",
            f"{counting:.0f}",
            f"<= {math.ceil(items / 100)}",
            lambda: counting <= math.ceil(items / 100),
        ),
        (
            "requests for pages 2.. (each)",
            f"{figures['later_requests'] / max(later_pages, 1):.3f}",
            "",
            lambda: True,
        ),
        (
            "cold jump to offset=9000",
            f"{figures['jump']:.0f}",
            "<= 91",
            lambda: figures["jump"] <= 91,
        ),
        (
            "cold jump to offset=9000, counting total too",
            f"{figures['jump_counted']:.0f}",
            "",
            lambda: True,
        ),
        (
            "upstream requests per brand-kit page (counted)",
            f"{kit_per_page:.3f} over {figures['kit_pages']:.0f} pages, first included",
            "== 1",
            lambda: figures["kit_requests"] == figures["kit_pages"],
        ),
        (
            "search ?offset=20&limit=5 (offset lane)",
            f"{figures['search_requests']:.0f}",
            "== 1",
            lambda: figures["search_requests"] == 1,
        ),
        (
            "memory of 100,000 checkpoints",
            f"{memory / 1e6:.1f} MB ({memory / 100_000:.0f} B each, {cursor_length}-char cursors)",
            "",
            lambda: True,
        ),
    ]
    for label, value, target, passed in rows:
        verdict = ("PASS" if passed() else "FAIL") if target else ""
        print(f"{label:<48} {value:<44} {target:<8} {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--items", type=int, default=10_000, help="list length (>= 9020)")
    parser.add_argument("--kits", type=int, default=1_000, help="brand kits to page through")
    args = parser.parse_args()
    if args.items < 9020:
        parser.error("--items must be at least 9020 for the jump to offset=9000")
    figures = asyncio.run(_measure(args.items, args.kits))
    cursor_length = int(figures["cursor_length"])  # as long as the sandbox's real cursors
    print(f"list of {args.items} canvases, upstream page size 100, legacy limit 20")
    _report(args.items, figures, _checkpoint_memory(100_000, cursor_length), cursor_length)


if __name__ == "__main__":
    main()
