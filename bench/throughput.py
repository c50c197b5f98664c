"""Requests/s, latency and CPU per request of the product against a bare translating yardstick.

Run from the repository root:

    .venv/bin/python -m bench.throughput [--duration SECONDS] [--connections N]
                                         [--warmup SECONDS] [--rounds N] [--runs N]

Defaults: 30 s per scenario in 15 rounds after a 2 s warm-up, 32 connections, 1 run (about two
minutes). A p99 is the slowest 1% of requests: on a shared virtual machine one pause of the host
moves it, so it takes many requests, in short interleaved rounds, to compare two servers' p99;
at 10 s in 5 rounds the sign of the difference was seen to flip from run to run. Needs nginx
(`apt-get install nginx-light`) and wrk (`apt-get install wrk`). Everything runs on 127.0.0.1.

What one run does:

1. Starts nginx (one worker, bench.nginx) as a fast fake Moda upstream answering every
   `GET /v1/tasks/...` with one fixed 2026-05-01 Task envelope (a running design task).
2. Starts, in front of it, the product (`python -m proxy` with its shipped defaults: access log
   on, metrics on; no ./config.yaml) and the yardstick (`python -m bench.yardstick`: about 30
   lines of aiohttp, `ClientSession.request` -> orjson flatten -> `web.Response`, no metrics, no
   logs), each a process of its own on uvloop.
3. Checks every path once: the product and the yardstick must give a 2026-04-12 client the same
   legacy JobResponse JSON; the product and nginx must give a 2026-05-01 client the upstream body
   byte for byte.
4. Drives four scenarios with `wrk -t1 -cN --latency`, after a warm-up of each:
   (a) legacy client through the product (parse + translate + serialize per response),
   (b) 2026-05-01 client through the product (bytes passed through),
   (c) legacy client through the yardstick, and
   (d) nginx directly (the ceiling wrk and nginx allow on this machine).
   The duration is split into rounds run as a, b, c, d, a, b, ... so that other load on the
   machine, or drift, weighs on all four alike. Counts add up over the rounds, and p50 and p99
   are those of all a scenario's requests together (bench.wrk pools the rounds' latencies).
5. Reads user+system CPU time from /proc/<pid>/stat of the product around (a) and (b) and of the
   yardstick around (c): server CPU microseconds per request.
6. Compares /proc/stat with the CPU time of its own processes to say how busy other processes
   kept the machine meanwhile, and how much CPU time the hypervisor withheld (steal: on a shared
   virtual machine it grows with the load), and warns when that makes the numbers unreliable.

Each run prints a table (requests/s, p50/p99 latency, server CPU per request, failed requests)
and its target checks, PASS or FAIL:

* (a)/(c) >= 1.2 in requests/s: the product beats the bare yardstick by a fifth;
* (a) costs at most 5% more product CPU per request than (b);
* p99 of (a) is no worse than p99 of (c);
* (a) sustains at least 4,000 requests/s.

A check also FAILs when its scenarios saw non-2xx responses or socket errors. With `--runs N`
(N > 1) each run starts fresh processes, and a summary gives min / median / max of the figures
over the runs, judging each target on the median. wrk, nginx and the servers share the cores, so
absolute numbers are a lower bound; CPU per request is the figure least disturbed by sharing.

Exit status: 0 when the report was printed (whatever the checks say), 1 when the benchmark
could not run (missing tool, a process that would not start, a wrong response), 130 when
interrupted. Every process started is stopped on every exit path.
"""

import contextlib
import statistics
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, TypeVar

from bench.cpu import Background, cpu_seconds, cpu_snapshot, disturbance, print_background
from bench.nginx import NGINX, start_nginx
from bench.options import Options, parse_options
from bench.processes import (
    BenchError,
    log_problems,
    progress,
    require_tool,
    run_bench,
    start_proxy,
    start_yardstick,
)
from bench.task import (
    CANONICAL_VERSION,
    LEGACY_VERSION,
    TASK_PATH,
    check_canonical,
    check_legacy,
)
from bench.wrk import WRK, LoadResult, Scenario, combine, parse_wrk, run_wrk

T = TypeVar("T")

MIN_YARDSTICK_RATIO: Final = 1.2
MAX_CPU_OVERHEAD_PERCENT: Final = 5.0
MIN_TRANSLATED_RPS: Final = 4000.0


@dataclass(frozen=True)
class ScenarioResult:
    scenario: Scenario
    load: LoadResult
    cpu_us_per_request: float | None


@dataclass(frozen=True)
class Check:
    label: str
    value: float | None  # what the target is judged on; None when it could not be measured
    measured: str
    target: Callable[[float], bool]
    failures: int = 0
    spec: str = ".3f"  # how the summary shows `value`

    @property
    def passed(self) -> bool:
        return self.value is not None and self.target(self.value) and not self.failures


@dataclass(frozen=True)
class RunReport:
    results: list[ScenarioResult]  # (a), (b), (c), (d)
    background: Background
    problems: list[str]

    def checks(self) -> list[Check]:
        a, b, c, _ = self.results
        return [ratio_check(a, c), cpu_check(a, b), p99_check(a, c), floor_check(a)]


# -- measuring ------------------------------------------------------------------------------


def measure(scenario: Scenario, connections: int, seconds: int) -> tuple[LoadResult, float]:
    """One wrk run and the CPU seconds the scenario's server spent during it."""
    pid = scenario.server_pid
    cpu_before = cpu_seconds(pid) if pid is not None else 0.0
    load = parse_wrk(run_wrk(scenario, connections, seconds))
    return load, (cpu_seconds(pid) - cpu_before if pid is not None else 0.0)


def run_scenarios(scenarios: Sequence[Scenario], options: Options) -> list[ScenarioResult]:
    """Warm every path up, then measure them in interleaved rounds so drift hits all alike."""
    for scenario in scenarios:
        progress(f"warm-up {options.warmup} s: {scenario.name}")
        run_wrk(scenario, options.connections, options.warmup)
    loads: dict[Scenario, list[LoadResult]] = {scenario: [] for scenario in scenarios}
    cpu_used = dict.fromkeys(scenarios, 0.0)
    plan = options.round_seconds()
    for number, seconds in enumerate(plan, start=1):
        progress(f"round {number}/{len(plan)}: {seconds} s per scenario")
        for scenario in scenarios:
            load, cpu = measure(scenario, options.connections, seconds)
            loads[scenario].append(load)
            cpu_used[scenario] += cpu
    results = []
    for scenario in scenarios:
        load = combine(loads[scenario])
        per_request = None
        if scenario.server_pid is not None and load.requests > 0:
            per_request = cpu_used[scenario] * 1e6 / load.requests
        results.append(ScenarioResult(scenario, load, per_request))
    return results


def check_responses(product: str, yardstick: str, upstream: str) -> None:
    """The same legacy JSON from product and yardstick; the upstream bytes on pass-through."""
    job, bare = check_legacy(product + TASK_PATH), check_legacy(yardstick + TASK_PATH)
    if job != bare:
        differing = sorted(key for key in job.keys() | bare.keys() if job.get(key) != bare.get(key))
        raise BenchError(f"the yardstick's JobResponse differs from the product's in {differing}")
    check_canonical(product + TASK_PATH)
    check_canonical(upstream + TASK_PATH)


def run_once(options: Options) -> RunReport:
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="moda-bench-")))
        progress("starting nginx as the fake upstream, the product and the yardstick")
        nginx_pid, upstream = start_nginx(stack, workdir, options.connections)
        product_pid, product, product_log, _ = start_proxy(stack, workdir, upstream)
        yardstick_pid, yardstick, yardstick_log = start_yardstick(stack, workdir, upstream)
        check_responses(product, yardstick, upstream)
        progress("responses check out on all four paths")
        scenarios = [
            Scenario(
                "(a) legacy via product (translated)",
                product + TASK_PATH,
                LEGACY_VERSION,
                product_pid,
            ),
            Scenario(
                "(b) 2026-05-01 via product (passed)",
                product + TASK_PATH,
                CANONICAL_VERSION,
                product_pid,
            ),
            Scenario(
                "(c) legacy via yardstick", yardstick + TASK_PATH, LEGACY_VERSION, yardstick_pid
            ),
            Scenario("(d) nginx directly", upstream + TASK_PATH, CANONICAL_VERSION, None),
        ]
        pids = [nginx_pid, product_pid, yardstick_pid]
        before = cpu_snapshot(pids)
        results = run_scenarios(scenarios, options)
        background = disturbance(before, cpu_snapshot(pids))
        problems = log_problems(product_log) + log_problems(yardstick_log)
        return RunReport(results, background, problems)


# -- checks ---------------------------------------------------------------------------------


def ratio_check(a: ScenarioResult, c: ScenarioResult) -> Check:
    rate_a, rate_c = a.load.requests_per_second, c.load.requests_per_second
    ratio = rate_a / rate_c if rate_c > 0 else None
    return Check(
        f"(a)/(c) requests/s >= {MIN_YARDSTICK_RATIO:.2f} (product vs yardstick)",
        ratio,
        f"{rate_a:,.0f} / {rate_c:,.0f} = {ratio or 0.0:.3f}",
        lambda value: value >= MIN_YARDSTICK_RATIO,
        a.load.failures + c.load.failures,
    )


def cpu_check(a: ScenarioResult, b: ScenarioResult) -> Check:
    cpu_a, cpu_b = a.cpu_us_per_request, b.cpu_us_per_request
    overhead = None
    if cpu_a is not None and cpu_b is not None and cpu_b > 0:
        overhead = (cpu_a / cpu_b - 1.0) * 100.0
    return Check(
        f"(a) costs <= {MAX_CPU_OVERHEAD_PERCENT:.0f}% more product CPU per request than (b)",
        overhead,
        f"{cpu_a or 0.0:.1f} / {cpu_b or 0.0:.1f} µs = {overhead or 0.0:+.1f}%",
        lambda value: value <= MAX_CPU_OVERHEAD_PERCENT,
        a.load.failures + b.load.failures,
        "+.1f",
    )


def p99_check(a: ScenarioResult, c: ScenarioResult) -> Check:
    return Check(
        "p99 of (a) <= p99 of (c) (summary: a - c, ms)",
        a.load.p99_ms - c.load.p99_ms,
        f"{a.load.p99_ms:.2f} vs {c.load.p99_ms:.2f} ms",
        lambda difference: difference <= 0.0,
        a.load.failures + c.load.failures,
        "+.2f",
    )


def floor_check(a: ScenarioResult) -> Check:
    rate = a.load.requests_per_second
    return Check(
        f"(a) sustains >= {MIN_TRANSLATED_RPS:,.0f} requests/s",
        rate,
        f"{rate:,.0f}/s",
        lambda value: value >= MIN_TRANSLATED_RPS,
        a.load.failures,
        ",.0f",
    )


# -- report ---------------------------------------------------------------------------------


def verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def print_table(results: Sequence[ScenarioResult]) -> None:
    print(
        f"{'scenario':<38} {'requests/s':>11} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'server CPU µs/req':>18} {'non-2xx':>8} {'sock err':>8}"
    )
    for result in results:
        load, cpu = result.load, result.cpu_us_per_request
        print(
            f"{result.scenario.name:<38} {load.requests_per_second:>11,.0f} {load.p50_ms:>8.2f} "
            f"{load.p99_ms:>8.2f} {'-' if cpu is None else format(cpu, '.1f'):>18} "
            f"{load.non_2xx:>8} {load.socket_errors:>8}"
        )


def print_run(report: RunReport, options: Options, number: int) -> None:
    print(
        f"\nrun {number}/{options.runs}: GET {TASK_PATH}, wrk -t1 -c{options.connections}, "
        f"{options.duration} s per scenario in {len(options.round_seconds())} interleaved "
        f"rounds after {options.warmup} s warm-up; wrk, nginx and the servers share the CPUs\n"
    )
    print_table(report.results)
    a, _, c, _ = report.results
    if a.cpu_us_per_request and c.cpu_us_per_request:
        print(
            f"translated CPU per request, product (a) / yardstick (c): "
            f"{a.cpu_us_per_request / c.cpu_us_per_request:.2f}"
        )
    print_background(report.background)
    if report.problems:
        print(f"WARNING: {len(report.problems)} warning/error lines logged; the first ones:")
        for line in report.problems[:3]:
            print(f"  {line[:200]}")
    for check in report.checks():
        note = f"; {check.failures} failed requests" if check.failures else ""
        print(f"  {verdict(check.passed)}  {check.label} ({check.measured}{note})")


def spread(values: Sequence[float], spec: str) -> str:
    low, middle, high = min(values), statistics.median(values), max(values)
    return f"{low:{spec}} / {middle:{spec}} / {high:{spec}}"


def print_spread(reports: Sequence[RunReport]) -> None:
    print(f"\nspread over {len(reports)} runs (min / median / max):")
    columns: dict[tuple[str, str], list[float]] = {}
    for report in reports:
        a, b, c, d = report.results
        figures = {
            ("(a) requests/s", ",.0f"): a.load.requests_per_second,
            ("(b) requests/s", ",.0f"): b.load.requests_per_second,
            ("(c) requests/s", ",.0f"): c.load.requests_per_second,
            ("(d) requests/s", ",.0f"): d.load.requests_per_second,
            ("(a) p99 ms", ".2f"): a.load.p99_ms,
            ("(c) p99 ms", ".2f"): c.load.p99_ms,
            ("(a) product CPU µs/req", ".1f"): a.cpu_us_per_request or 0.0,
            ("(b) product CPU µs/req", ".1f"): b.cpu_us_per_request or 0.0,
            ("(c) yardstick CPU µs/req", ".1f"): c.cpu_us_per_request or 0.0,
        }
        for column, value in figures.items():
            columns.setdefault(column, []).append(value)
    for (name, spec), values in columns.items():
        print(f"  {name:<28} {spread(values, spec)}")
    per_run = [report.checks() for report in reports]
    for index, first in enumerate(per_run[0]):
        checks = [run[index] for run in per_run]
        values = [check.value for check in checks if check.value is not None]
        passes = sum(check.passed for check in checks)
        judged = bool(values) and first.target(statistics.median(values))
        judged = judged and not any(check.failures for check in checks)
        shown = spread(values, first.spec) if values else "-"
        print(
            f"  {verdict(judged)}  {first.label}: {shown} "
            f"(median judged; {passes} of {len(checks)} runs pass)"
        )


# -- main -----------------------------------------------------------------------------------


def run_runs(
    options: Options, run: Callable[[int], T], print_spread: Callable[[Sequence[T]], None]
) -> int:
    """`run(number)` for each of the `--runs`, with nginx and wrk at hand, then `print_spread` of
    their results when there were several. The exit status: 0, 1 when the benchmark could not
    run, or 130 when it was interrupted."""
    results: list[T] = []

    def every_run() -> None:
        require_tool(NGINX, "nginx-light")
        require_tool(WRK, "wrk")
        for number in range(1, options.runs + 1):
            progress(f"run {number}/{options.runs}")
            results.append(run(number))
            sys.stdout.flush()
        if len(results) > 1:
            print_spread(results)

    return run_bench(every_run)


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_options(
        argv,
        prog="python -m bench.throughput",
        description="Product vs bare yardstick: requests/s, latency, CPU per request.",
        connections=32,
        duration=30,
        rounds=15,
        with_runs=True,
    )

    def one_run(number: int) -> RunReport:
        report = run_once(options)
        print_run(report, options, number)
        return report

    return run_runs(options, one_run, print_spread)


if __name__ == "__main__":
    sys.exit(main())
