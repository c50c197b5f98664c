"""Translated requests/s of one proxy with 1, 2 and one-per-core workers (`--workers N`).

Run from the repository root:

    .venv/bin/python -m bench.workers [--duration SECONDS] [--connections N]
                                      [--warmup SECONDS] [--rounds N]

Defaults: 10 s per worker count after a 2 s warm-up, 64 connections, 5 rounds. Needs nginx
(`apt-get install nginx-light`) and wrk (`apt-get install wrk`). Everything runs on 127.0.0.1.

What it does:

1. Starts bench.nginx's fake upstream: nginx (one worker) answering every
   `GET /v1/tasks/...` with one fixed 2026-05-01 Task.
2. Starts one proxy per worker count, `--workers 1`, `--workers 2` and `--workers N` with N the
   usable cores (counts that repeat run once), all at once on ports of their own, and waits until
   each says it listens (a supervisor says so once every worker serves).
3. Checks that each answers a 2026-04-12 client with a legacy JobResponse.
4. Drives legacy (translated) requests through each with `wrk -t1 --latency`, new connections
   spread by the kernel across the workers. Each count's duration is split into rounds run as
   1, 2, N, 1, 2, N, ... so that other load on the machine weighs on all counts alike; an idle
   proxy costs nothing meanwhile. Counts add up over the rounds, and p50 and p99 are those of
   all a count's requests together (bench.wrk pools the rounds' latencies).

It prints requests/s, p50 and p99 latency, failed requests (non-2xx and socket errors) and the
speed-up over one worker for each count. wrk, nginx and the proxy's processes share the machine's
cores, so with N workers on N cores the workers do not get N cores to themselves: the speed-up is
a lower bound of what dedicated cores give.

Exit status: 0 when the report was printed, 1 when the benchmark could not run, 130 when
interrupted. nginx and the proxies are stopped on every exit path.
"""

import contextlib
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from bench.cpu import Background, cpu_snapshot, disturbance, print_background
from bench.nginx import NGINX, start_nginx
from bench.options import Options, parse_options
from bench.processes import (
    STARTUP_TIMEOUT_SECONDS,
    BenchError,
    log_problems,
    log_tail,
    progress,
    require_tool,
    run_bench,
    start_proxy,
)
from bench.task import LEGACY_VERSION, TASK_PATH, check_legacy
from bench.wrk import WRK, LoadResult, Scenario, combine, parse_wrk, run_wrk
from proxy.workers.handoff import usable_cores

# Expected with more than one worker and the default memory state; not a problem of the run.
_EXPECTED_WARNINGS: Final = ("state.backend is memory",)


@dataclass(frozen=True)
class Proxy:
    workers: int
    pid: int
    scenario: Scenario
    log: Path


@dataclass(frozen=True)
class Result:
    proxy: Proxy
    load: LoadResult


def worker_counts() -> list[int]:
    return sorted({1, 2, usable_cores()})


def wait_until_listening(proxy: Proxy) -> None:
    """Until the proxy logs that it listens: a supervisor does once all its workers serve."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if "listening on" in proxy.log.read_text(encoding="utf-8", errors="replace"):
            return
        time.sleep(0.1)
    raise BenchError(
        f"the proxy with {proxy.workers} workers did not start within "
        f"{STARTUP_TIMEOUT_SECONDS:.0f} s:\n{log_tail(proxy.log)}"
    )


def start_proxies(
    stack: contextlib.ExitStack, workdir: Path, upstream_url: str, counts: Sequence[int]
) -> list[Proxy]:
    proxies = []
    for workers in counts:
        home = workdir / f"workers-{workers}"
        home.mkdir()
        pid, url, log, _ = start_proxy(stack, home, upstream_url, ("--workers", str(workers)))
        scenario = Scenario(f"--workers {workers}", url + TASK_PATH, LEGACY_VERSION, pid)
        proxies.append(Proxy(workers, pid, scenario, log))
    for proxy in proxies:
        wait_until_listening(proxy)
        check_legacy(proxy.scenario.url)
    return proxies


def measure(proxies: Sequence[Proxy], options: Options) -> list[Result]:
    """Warm every proxy up, then measure them in interleaved rounds."""
    for proxy in proxies:
        progress(f"warm-up {options.warmup} s: {proxy.scenario.name}")
        run_wrk(proxy.scenario, options.connections, options.warmup)
    rounds: dict[int, list[LoadResult]] = {proxy.workers: [] for proxy in proxies}
    plan = options.round_seconds()
    for number, seconds in enumerate(plan, start=1):
        progress(f"round {number}/{len(plan)}: {seconds} s per worker count")
        for proxy in proxies:
            output = run_wrk(proxy.scenario, options.connections, seconds)
            rounds[proxy.workers].append(parse_wrk(output))
    return [Result(proxy, combine(rounds[proxy.workers])) for proxy in proxies]


def print_report(results: Sequence[Result], options: Options, background: Background) -> None:
    cores = usable_cores()
    print(
        f"\nmoda-compat-proxy workers: legacy GET {TASK_PATH} (translated), wrk -t1 "
        f"-c{options.connections}, {options.duration} s per worker count in "
        f"{len(options.round_seconds())} interleaved rounds after {options.warmup} s warm-up"
    )
    print(
        f"{cores} usable cores, shared by wrk (1 thread), nginx (1 worker) and the proxy's "
        "processes: the workers never have the cores to themselves\n"
    )
    print(
        f"{'workers':>7} {'requests/s':>11} {'p50 ms':>8} {'p99 ms':>8} {'failed':>7} "
        f"{'vs 1 worker':>12}"
    )
    baseline = results[0].load.requests_per_second
    for result in results:
        load = result.load
        speedup = load.requests_per_second / baseline if baseline else 0.0
        print(
            f"{result.proxy.workers:>7} {load.requests_per_second:>11,.0f} {load.p50_ms:>8.2f} "
            f"{load.p99_ms:>8.2f} {load.failures:>7} {speedup:>11.2f}x"
        )
    print()
    print_background(background)
    for result in results:
        problems = [
            line
            for line in log_problems(result.proxy.log)
            if not any(expected in line for expected in _EXPECTED_WARNINGS)
        ]
        if problems:
            print(f"WARNING: with {result.proxy.workers} workers the proxy logged: {problems[0]}")


def run_benchmark(options: Options) -> None:
    require_tool(NGINX, "nginx-light")
    require_tool(WRK, "wrk")
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="moda-bench-")))
        progress("starting nginx as the fake upstream")
        nginx_pid, upstream_url = start_nginx(stack, workdir, options.connections)
        counts = worker_counts()
        progress(f"starting proxies with {', '.join(map(str, counts))} workers")
        proxies = start_proxies(stack, workdir, upstream_url, counts)
        progress("every proxy answers legacy clients with JobResponses")
        pids = [nginx_pid, *(proxy.pid for proxy in proxies)]
        before = cpu_snapshot(pids)
        results = measure(proxies, options)
        background = disturbance(before, cpu_snapshot(pids))
        print_report(results, options, background)


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_options(
        argv,
        prog="python -m bench.workers",
        description="Translated requests/s of one proxy with 1, 2 and one-per-core workers.",
    )
    return run_bench(lambda: run_benchmark(options), stopped="nginx and the proxies were stopped")


if __name__ == "__main__":
    sys.exit(main())
