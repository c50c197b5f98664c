"""Where a translated request's CPU goes: the product beside three servers that each drop a layer.

Run from the repository root:

    .venv/bin/python -m bench.layers [--duration SECONDS] [--connections N]
                                     [--warmup SECONDS] [--rounds N] [--runs N]

Every server answers the same legacy `GET /v1/tasks/{id}` with the same JobResponse, in front of
the same nginx upstream (bench.nginx), driven by wrk in interleaved rounds like bench.throughput:

    (a) the product, with its shipped defaults
    (c) the yardstick: aiohttp's server and its ClientSession (bench.yardstick)
    (e) the yardstick with the product's upstream pool in place of ClientSession
    (f) a bare server: an httptools protocol, the product's pool, the same flatten, nothing else
        (bench.bare_server)

Each server's CPU time per request (from /proc) then splits into layers:

    aiohttp's client, over the product's pool     (c) - (e)
    aiohttp's server, over a bare protocol        (e) - (f)
    the product's own work, over a bare protocol  (a) - (f)

(the product serves on its own httptools protocol, proxy.server.http1.server, with aiohttp's
web.Request and web.Response; (a) - (f) is what it does beyond the bare server)

The figures say which layer a change must shrink to make the product cheaper; they are printed,
never judged. With `--runs N` (N > 1) each run starts fresh processes and a summary gives
min / median / max over the runs.
"""

import contextlib
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench.cpu import Background, cpu_snapshot, disturbance, print_background
from bench.nginx import start_nginx
from bench.options import Options, parse_options
from bench.processes import (
    BenchError,
    progress,
    start_proxy,
    start_yardstick,
)
from bench.task import LEGACY_VERSION, TASK_PATH, check_legacy
from bench.throughput import ScenarioResult, print_table, run_runs, run_scenarios, spread
from bench.wrk import Scenario

# (label, server module, its extra flags); the product is started on its own.
REFERENCES = (
    ("(c) yardstick: aiohttp + ClientSession", "bench.yardstick", ()),
    ("(e) aiohttp + product's pool", "bench.yardstick", ("--client", "pool")),
    ("(f) httptools + product's pool", "bench.bare_server", ()),
)
LAYERS = (
    ("aiohttp's client, over the product's pool", "(c)", "(e)"),
    ("aiohttp's server, over a bare protocol", "(e)", "(f)"),
    ("the product's own work, over a bare protocol", "(a)", "(f)"),
)


def run_once(options: Options) -> tuple[list[ScenarioResult], Background]:
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="moda-layers-")))
        progress("starting nginx as the fake upstream, the product and three reference servers")
        nginx_pid, upstream = start_nginx(stack, workdir, options.connections)
        product_pid, product, _, _ = start_proxy(stack, workdir, upstream)
        scenarios = [Scenario("(a) product", product + TASK_PATH, LEGACY_VERSION, product_pid)]
        expected = check_legacy(product + TASK_PATH)
        for label, module, extra in REFERENCES:
            pid, url, _ = start_yardstick(stack, workdir, upstream, module, extra)
            if check_legacy(url + TASK_PATH) != expected:
                raise BenchError(f"{label} does not answer the product's JobResponse")
            scenarios.append(Scenario(label, url + TASK_PATH, LEGACY_VERSION, pid))
        progress("every server answers the same JobResponse")
        pids = [nginx_pid, *(scenario.server_pid or 0 for scenario in scenarios)]
        before = cpu_snapshot(pids)
        results = run_scenarios(scenarios, options)
        return results, disturbance(before, cpu_snapshot(pids))


def per_request(results: Sequence[ScenarioResult]) -> dict[str, float]:
    """CPU µs per request by scenario tag, `(a)` to `(f)`."""
    return {
        result.scenario.name.split(" ", 1)[0]: result.cpu_us_per_request or 0.0
        for result in results
    }


def layer_costs(results: Sequence[ScenarioResult]) -> list[tuple[str, float]]:
    cpu = per_request(results)
    return [(name, cpu[more] - cpu[less]) for name, more, less in LAYERS]


def print_run(results: Sequence[ScenarioResult], background: Background, options: Options) -> None:
    print(
        f"\nGET {TASK_PATH} as a 2026-04-12 client, wrk -t1 -c{options.connections}, "
        f"{options.duration} s per server in {len(options.round_seconds())} interleaved rounds\n"
    )
    print_table(results)
    print("\nCPU µs per request, by layer:")
    for name, cost in layer_costs(results):
        print(f"  {name:<46} {cost:>8.1f}")
    print_background(background)


def print_spread(runs: Sequence[Sequence[ScenarioResult]]) -> None:
    print(f"\nspread over {len(runs)} runs (min / median / max), CPU µs per request:")
    rows: dict[str, list[float]] = {}
    for results in runs:
        for result in results:
            rows.setdefault(result.scenario.name, []).append(result.cpu_us_per_request or 0.0)
        for name, cost in layer_costs(results):
            rows.setdefault(f"layer: {name}", []).append(cost)
    for name, values in rows.items():
        print(f"  {name:<56} {spread(values, '7.1f')}")


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_options(
        argv,
        prog="python -m bench.layers",
        description="The product's CPU per request beside servers that each drop a layer.",
        connections=32,
        with_runs=True,
    )

    def one_run(number: int) -> list[ScenarioResult]:
        results, background = run_once(options)
        print_run(results, background, options)
        return results

    return run_runs(options, one_run, print_spread)


if __name__ == "__main__":
    sys.exit(main())
