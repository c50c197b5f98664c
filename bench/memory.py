"""Resident memory of one proxy process: idle, and holding 100,000 pagination checkpoints and
500 `Prefer: wait` waiters.

Run from the repository root:

    .venv/bin/python -m bench.memory [--lists 1000] [--items 10000] [--waiters 500]
                                     [--tasks 10] [--wait 20] [--concurrency 8]

What it measures is VmRSS (and the peak, VmHWM) of the product's own process, read from
/proc/<pid>/status; MB here are 10^6 bytes. Everything runs on 127.0.0.1:

1. Starts a fake Moda upstream (bench.fake_moda: sandbox canvases paged by sandbox-made cursors,
   and running tasks) in this process, and the product (`python -m proxy`) as a child with its
   shipped defaults (access log on, metrics on, memory state) but two: a 1 s shutdown grace, and
   `pagination.ttl_seconds: 3600` instead of 60, so that lists filled early are still held when
   RSS is read (filling takes minutes); the cache's other bounds (10,000 lists, 1,000 anchors a
   list) stay the defaults.
2. Idle: RSS 2 s after the proxy answers, before any request.
3. Checkpoints: `--lists` legacy clients, a credential each, read page 1 (`offset=0&limit=20`) of
   a `--items`-canvas list. The proxy reads the window, then walks on to count `total` (100
   upstream pages, its default budget), keeping a cursor for each page it reached: with 10,000
   items that is 1 recent checkpoint and 99 anchors per list, 100,000 for 1,000 lists. The count
   printed is computed from the cursors the upstream handed out, by the proxy's keeping rules;
   /-/metrics must show one pagination-cache miss per list and no eviction.
4. Waiters: on top of that, `--waiters` legacy clients `GET /v1/tasks/{id}` with
   `Prefer: wait=20`, spread over `--tasks` tasks that stay running. RSS is read halfway through
   the wait with all of them held; afterwards every one must have got a running JobResponse no
   sooner than the wait.

Targets, PASS or FAIL: idle RSS <= 60 MB; RSS holding the checkpoints and waiters <= 150 MB.
Exit status: 0 when the report was printed, 1 when the benchmark could not run, 130 when
interrupted; the proxy is stopped on every exit path.
"""

import argparse
import asyncio
import contextlib
import re
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import aiohttp
import uvloop

from bench.fake_moda import LIST_PATH, FakeModa, checkpoints_held
from bench.loopback import serve
from bench.processes import (
    PROXY_CONF,
    BenchError,
    log_problems,
    positive_int,
    progress,
    run_bench,
    start_proxy,
)

MEMORY_CONF: Final = PROXY_CONF + "pagination:\n  ttl_seconds: 3600\n"
MAX_IDLE_MB: Final = 60.0
MAX_HOLDING_MB: Final = 150.0
IDLE_SETTLE_SECONDS: Final = 2.0
LEGACY: Final = "2026-04-12"
_METRIC: Final = re.compile(r'^proxy_cache_events_total\{cache="pagination",event="(\w+)"\} (\S+)$')


@dataclass(frozen=True)
class Options:
    lists: int
    items: int
    waiters: int
    tasks: int
    wait: int
    concurrency: int


@dataclass
class Figures:
    idle_kib: int = 0
    filled_kib: int = 0
    holding_kib: int = 0
    peak_kib: int = 0
    checkpoints: int = 0
    fill_seconds: float = 0.0
    polls: int = 0


def status_kib(pid: int, field: str) -> int:
    """A `kB` line of /proc/<pid>/status (VmRSS, VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise BenchError(f"/proc/{pid}/status has no {field}")


def megabytes(kib: int) -> float:
    return kib * 1024 / 1e6


def headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Moda-Version": LEGACY}


async def read_first_page(session: aiohttp.ClientSession, url: str, token: str, items: int) -> None:
    async with session.get(f"{url}{LIST_PATH}?offset=0&limit=20", headers=headers(token)) as got:
        page = await got.json() if got.status == 200 else None
    # The proxy counts 100 upstream pages past the window: `total` is exact up to 10,020 items.
    if (
        not isinstance(page, dict)
        or page.get("total", 0) < min(items, 10_020)
        or len(page.get("canvases", ())) != min(items, 20)
    ):
        raise BenchError(f"page 1 of {token}'s list is not 20 canvases of {items}: {page}")


async def fill(url: str, options: Options) -> float:
    """Every list's page 1, `concurrency` clients at a time; returns the seconds it took."""
    tokens = asyncio.Queue[str]()
    for number in range(options.lists):
        tokens.put_nowait(f"moda_live_bench_memory_{number:06d}")
    started = time.monotonic()

    async def client(session: aiohttp.ClientSession) -> None:
        while not tokens.empty():
            token = tokens.get_nowait()
            await read_first_page(session, url, token, options.items)
            done = options.lists - tokens.qsize()
            if done % 100 == 0:
                progress(f"{done}/{options.lists} lists read, {time.monotonic() - started:.0f} s")

    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(client(session) for _ in range(options.concurrency)))
    return time.monotonic() - started


async def cache_events(admin_url: str) -> dict[str, float]:
    async with aiohttp.ClientSession() as session, session.get(admin_url + "/-/metrics") as got:
        text = await got.text()
    return {
        match[1]: float(match[2]) for line in text.splitlines() if (match := _METRIC.match(line))
    }


async def hold_waiters(url: str, pid: int, options: Options) -> int:
    """RSS (KiB) halfway through `waiters` simultaneous waits; checks every answer after."""
    wanted = {**headers("moda_live_bench_memory_waiter"), "Prefer": f"wait={options.wait}"}

    async def wait(session: aiohttp.ClientSession, number: int) -> tuple[int, str, float]:
        started = time.monotonic()
        task_url = f"{url}/v1/tasks/task_bench{number % options.tasks:04d}"
        async with session.get(task_url, headers=wanted) as got:
            job = await got.json()
        return got.status, str(job.get("status")), time.monotonic() - started

    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=options.wait + 30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        held = [asyncio.ensure_future(wait(session, n)) for n in range(options.waiters)]
        await asyncio.sleep(options.wait / 2)
        holding = status_kib(pid, "VmRSS")
        answers = await asyncio.gather(*held)
    wrong = [answer for answer in answers if answer[:2] != (200, "running")]
    early = [answer for answer in answers if answer[2] < options.wait * 0.9]
    if wrong or early:
        raise BenchError(f"waiters: {len(wrong)} wrong answers, {len(early)} came back early")
    return holding


async def measure(options: Options) -> tuple[Figures, list[str]]:
    fake = FakeModa(options.items)
    runner, upstream = await serve(fake.app())
    figures = Figures()
    try:
        with contextlib.ExitStack() as stack:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="moda-mem-")))
            # Blocking waits for the proxy: off the loop, which serves the fake upstream meanwhile.
            proxy = await asyncio.to_thread(
                start_proxy, stack, workdir, upstream, config=MEMORY_CONF
            )
            await asyncio.sleep(IDLE_SETTLE_SECONDS)
            figures.idle_kib = status_kib(proxy.pid, "VmRSS")
            progress(
                f"idle RSS {megabytes(figures.idle_kib):.1f} MB; filling {options.lists} lists"
            )
            figures.fill_seconds = await fill(proxy.url, options)
            figures.checkpoints = sum(checkpoints_held(seen) for seen in fake.issued.values())
            events = await cache_events(proxy.admin_url)
            if events.get("misses") != options.lists or events.get("evictions", 0) > 0:
                raise BenchError(f"the pagination cache did not keep every list: {events}")
            figures.filled_kib = status_kib(proxy.pid, "VmRSS")
            progress(f"{figures.checkpoints:,} checkpoints held; {options.waiters} waiters next")
            polls_before = sum(fake.polls.values())
            figures.holding_kib = await hold_waiters(proxy.url, proxy.pid, options)
            figures.polls = sum(fake.polls.values()) - polls_before
            figures.peak_kib = status_kib(proxy.pid, "VmHWM")
            return figures, log_problems(proxy.log)
    finally:
        await runner.cleanup()


def print_report(figures: Figures, options: Options, problems: Sequence[str]) -> None:
    print(
        "\nmoda-compat-proxy memory: one `python -m proxy` process (shipped defaults, "
        "pagination.ttl_seconds 3600), VmRSS from /proc/<pid>/status, MB = 10^6 bytes\n"
    )
    rows = [
        ("idle, 2 s after start", figures.idle_kib),
        (f"holding {figures.checkpoints:,} checkpoints", figures.filled_kib),
        (f"  + {options.waiters} waiters (Prefer: wait={options.wait})", figures.holding_kib),
        ("peak (VmHWM) over the run", figures.peak_kib),
    ]
    for label, kib in rows:
        print(f"{label:<48} {megabytes(kib):>8.1f} MB")
    per_checkpoint = (figures.filled_kib - figures.idle_kib) * 1024 / max(figures.checkpoints, 1)
    per_waiter = (figures.holding_kib - figures.filled_kib) * 1024 / max(options.waiters, 1)
    print(
        f"\n{options.lists} lists of {options.items} items filled in {figures.fill_seconds:.0f} s; "
        f"RSS growth {per_checkpoint:,.0f} B per checkpoint (all fill garbage included), "
        f"{per_waiter:,.0f} B per waiter; {figures.polls} upstream polls during the waits"
    )
    if problems:
        print(
            f"the proxy logged {len(problems)} warning/error lines; the first: {problems[0][:160]}"
        )
    idle_ok = megabytes(figures.idle_kib) <= MAX_IDLE_MB
    holding_ok = megabytes(figures.holding_kib) <= MAX_HOLDING_MB
    enough = figures.checkpoints >= 100_000 and options.waiters >= 500
    print(f"  {'PASS' if idle_ok else 'FAIL'}  idle RSS <= {MAX_IDLE_MB:.0f} MB")
    print(
        f"  {'PASS' if holding_ok and enough else 'FAIL'}  RSS <= {MAX_HOLDING_MB:.0f} MB holding "
        f"100,000 checkpoints and 500 waiters"
        + ("" if enough else " (fewer were held: not judged)")
    )


def parse_options(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench.memory",
        description="Proxy RSS: idle, and holding pagination checkpoints and waiters.",
    )
    parser.add_argument("--lists", type=positive_int, default=1000, help="lists to fill (1000)")
    parser.add_argument("--items", type=positive_int, default=10_000, help="items a list (10000)")
    parser.add_argument("--waiters", type=positive_int, default=500, help="waiters (500)")
    parser.add_argument("--tasks", type=positive_int, default=10, help="tasks waited on (10)")
    parser.add_argument("--wait", type=positive_int, default=20, help="Prefer: wait (20, max 20)")
    parser.add_argument("--concurrency", type=positive_int, default=8, help="fill clients (8)")
    args = parser.parse_args(argv)
    return Options(
        args.lists, args.items, args.waiters, args.tasks, min(args.wait, 20), args.concurrency
    )


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_options(argv)

    def measure_and_report() -> None:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            figures, problems = runner.run(measure(options))
        print_report(figures, options, problems)

    return run_bench(measure_and_report, stopped="the proxy was stopped")


if __name__ == "__main__":
    sys.exit(main())
