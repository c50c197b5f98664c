"""Upstream polls caused by `Prefer: wait`, and the memory held waiters cost.

Run from the project root:

    .venv/bin/python -m bench.waits [--waiters 500] [--tasks 10] [--seconds 20]

It starts the sandbox Moda API (tasks that run far longer than the wait) and the proxy on loopback
in this process, then:
1. one client waits `--seconds` on one task: the poll rate one waiter causes;
2. `--waiters` clients wait `--seconds` at once, spread evenly over `--tasks` tasks.
It reports upstream polls per second in both cases (target for 2: no more than `--tasks` times the
rate of 1), and the memory the proxy's Python heap and the process held while the waiters were held.
"""

import argparse
import asyncio
import time
import tracemalloc
from collections import Counter

import aiohttp
from aiohttp import web
from aiohttp.typedefs import Handler

from bench.loopback import serve
from proxy.app import create_app
from proxy.clock import SystemClock
from proxy.config import settings_from
from proxy.sandbox.app import create_sandbox_app
from proxy.sandbox.settings import SandboxSettings

TOKEN = "moda_live_bench_waits"
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Moda-Version": "2026-04-12"}


def _rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Bench:
    def __init__(self, proxy_url: str, polls: Counter[str]) -> None:
        self.proxy_url, self.polls = proxy_url, polls

    async def start_tasks(self, session: aiohttp.ClientSession, count: int) -> list[str]:
        ids = []
        for number in range(count):
            body = {"prompt": f"bench task {number}"}
            async with session.post(
                f"{self.proxy_url}/v1/tasks", json=body, headers=HEADERS
            ) as response:
                ids.append((await response.json())["job_id"])
        return ids

    async def wait(self, session: aiohttp.ClientSession, task_id: str, seconds: int) -> str:
        headers = {**HEADERS, "Prefer": f"wait={seconds}"}
        async with session.get(f"{self.proxy_url}/v1/tasks/{task_id}", headers=headers) as response:
            return str((await response.json())["status"])

    async def polls_per_second(
        self, session: aiohttp.ClientSession, ids: list[str], waiters: int, seconds: int
    ) -> tuple[float, int, int]:
        before = sum(self.polls[task_id] for task_id in ids)
        tracemalloc.start()
        rss_before, heap_before = _rss_kib(), tracemalloc.get_traced_memory()[0]
        started = time.monotonic()
        held = [
            asyncio.ensure_future(self.wait(session, ids[n % len(ids)], seconds))
            for n in range(waiters)
        ]
        await asyncio.sleep(seconds / 2)
        heap_held = tracemalloc.get_traced_memory()[0] - heap_before
        rss_held = _rss_kib() - rss_before
        statuses = await asyncio.gather(*held)
        elapsed = time.monotonic() - started
        tracemalloc.stop()
        assert set(statuses) == {"running"}, statuses
        polls = sum(self.polls[task_id] for task_id in ids) - before - waiters  # minus own GETs
        return polls / elapsed, heap_held, rss_held


async def _measure(waiters: int, tasks: int, seconds: int) -> None:
    polls: Counter[str] = Counter()
    sandbox_app = create_sandbox_app(
        SandboxSettings(queued_seconds=0, running_seconds=3600, max_active_tasks=tasks + 1),
        SystemClock(),
    )

    @web.middleware
    async def count(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method == "GET" and request.path.startswith("/v1/tasks/"):
            polls[request.path.rsplit("/", 1)[-1]] += 1
        return await handler(request)

    sandbox_app.middlewares.insert(0, count)
    sandbox, sandbox_url = await serve(sandbox_app)
    proxy, proxy_url = await serve(
        create_app(
            settings_from({"upstream": {"url": sandbox_url}, "logging": {"access_log": False}})
        )
    )
    bench = Bench(proxy_url, polls)
    try:
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector) as session:
            ids = await bench.start_tasks(session, tasks + 1)
            one, _, _ = await bench.polls_per_second(session, ids[:1], 1, seconds)
            many, heap, rss = await bench.polls_per_second(session, ids[1:], waiters, seconds)
    finally:
        await proxy.cleanup()
        await sandbox.cleanup()
    target = tasks * one
    verdict = "PASS" if many <= target else "FAIL"
    rows = [
        ("one waiter on one task", f"{one:6.2f} upstream polls/s"),
        (
            f"{waiters} waiters over {tasks} tasks",
            f"{many:6.2f} upstream polls/s   target <= {target:.2f}   {verdict}",
        ),
        (
            "memory while holding them (Python heap)",
            f"{heap / 1024:8.0f} KiB ({heap / waiters / 1024:.1f} KiB per waiter, clients too)",
        ),
        ("memory while holding them (process RSS)", f"{rss:8d} KiB"),
    ]
    print(f"Prefer: wait={seconds} on tasks that outlast it; sandbox retry_after_ms 3000")
    for label, value in rows:
        print(f"{label:<44} {value}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--waiters", type=int, default=500)
    parser.add_argument("--tasks", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=20, help="Prefer: wait value (<= 20)")
    args = parser.parse_args()
    asyncio.run(_measure(args.waiters, args.tasks, min(args.seconds, 20)))


if __name__ == "__main__":
    main()
