"""Instructions per translated request, counted by valgrind: figures the machine's load cannot move.

Run from the repository root (needs `apt-get install valgrind nginx-light`):

    .venv/bin/python -m bench.instructions [--requests N]

Requests per second and CPU time on a shared 2-core machine move by a third from run to run.
The number of instructions a server executes for a request does not: this benchmark runs each
server under callgrind, sends it the same legacy `GET /v1/tasks/{id}` N times on one keep-alive
connection (after a warm-up, with the counters zeroed), and prints the instructions per request:

    (a) the product, with its shipped defaults
    (c) the yardstick: aiohttp's server and its ClientSession (bench.yardstick)
    (e) the yardstick with the product's upstream pool in place of ClientSession
    (f) a bare server: an httptools protocol, the product's pool, the same flatten

Only the server process's own instructions are counted, in user space: the kernel's socket work
is not, nor is anything another process does. One request at a time: under concurrent load a
server shares work between requests that arrive together (one access-log write for several
lines), which this does not show. Use it to tell whether a change made the product cheaper, to
within a fraction of a percent; use bench.throughput for what a loaded machine serves.
"""

import argparse
import contextlib
import http.client
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Final, NamedTuple

from bench.layers import LAYERS, REFERENCES
from bench.nginx import NGINX, start_nginx
from bench.processes import (
    BenchError,
    positive_int,
    progress,
    require_tool,
    run_bench,
    start_proxy,
    start_yardstick,
)
from bench.task import AUTHORIZATION, LEGACY_VERSION, TASK_PATH, check_legacy

VALGRIND: Final = Path(shutil.which("valgrind") or "/usr/bin/valgrind")
CALLGRIND_CONTROL: Final = Path(shutil.which("callgrind_control") or "/usr/bin/callgrind_control")
# Python under callgrind runs some fifty times slower: imports alone take many seconds.
STARTUP_SECONDS: Final = 300.0
WARMUP_REQUESTS: Final = 200


class Count(NamedTuple):
    name: str
    instructions_per_request: float


def instructions_in_dump(text: str) -> int:
    """The total instructions (`Ir`) a callgrind dump counted: its `totals:` line, or `summary:`
    in older valgrind versions."""
    for line in text.splitlines():
        label, _, value = line.partition(":")
        if label in ("totals", "summary") and value.split():
            return int(value.split()[0])
    raise BenchError("the callgrind dump has no totals line")


def _send(connection: http.client.HTTPConnection, count: int) -> None:
    headers = {"Moda-Version": LEGACY_VERSION, "Authorization": AUTHORIZATION}
    for _ in range(count):
        connection.request("GET", TASK_PATH, headers=headers)
        answer = connection.getresponse()
        answer.read()
        if answer.status != 200:
            raise BenchError(f"the server answered {answer.status}")


def _callgrind(dump: Path) -> list[str]:
    return [
        str(VALGRIND),
        "--tool=callgrind",
        "--dump-instr=no",
        f"--callgrind-out-file={dump}",
    ]


def _control(action: str, pid: int) -> None:
    subprocess.run([str(CALLGRIND_CONTROL), action, str(pid)], check=True, capture_output=True)


def count_instructions(pid: int, url: str, dump: Path, requests: int) -> float:
    """Instructions per request of the server `pid` (running under callgrind) serving `url`."""
    host, _, port = url.removeprefix("http://").rpartition(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=STARTUP_SECONDS)
    try:
        _send(connection, WARMUP_REQUESTS)
        _control("--zero", pid)
        _send(connection, requests)
        _control("--dump", pid)
    finally:
        connection.close()
    dumps = sorted(dump.parent.glob(dump.name + ".*"), key=lambda path: path.stat().st_mtime)
    if not dumps:
        raise BenchError(f"callgrind wrote no dump beside {dump}")
    return instructions_in_dump(dumps[-1].read_text(encoding="utf-8", errors="replace")) / requests


def run(requests: int) -> list[Count]:
    counts = []
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="moda-instr-")))
        _, upstream = start_nginx(stack, workdir, connections=8)
        progress("starting the product under callgrind (a minute or so)")
        dump = workdir / "product.callgrind"
        pid, url, _, _ = start_proxy(
            stack, workdir, upstream, launcher=_callgrind(dump), startup_timeout=STARTUP_SECONDS
        )
        expected = check_legacy(url + TASK_PATH)
        counts.append(Count("(a) product", count_instructions(pid, url, dump, requests)))
        for label, module, extra in REFERENCES:
            progress(f"starting {label} under callgrind")
            dump = workdir / f"{module}{'-'.join(('', *extra))}.callgrind"
            pid, url, _ = start_yardstick(
                stack,
                workdir,
                upstream,
                module,
                extra,
                launcher=_callgrind(dump),
                startup_timeout=STARTUP_SECONDS,
            )
            if check_legacy(url + TASK_PATH) != expected:
                raise BenchError(f"{label} does not answer the product's JobResponse")
            counts.append(Count(label, count_instructions(pid, url, dump, requests)))
    return counts


def print_counts(counts: Sequence[Count], requests: int) -> None:
    by_tag = {count.name.split(" ", 1)[0]: count.instructions_per_request for count in counts}
    print(f"\nGET {TASK_PATH} as a 2026-04-12 client, {requests} requests on one connection\n")
    print(f"{'server':<44} {'k instructions/request':>24}")
    for count in counts:
        print(f"{count.name:<44} {count.instructions_per_request / 1000:>24.1f}")
    print("\nby layer, k instructions per request:")
    for name, more, less in LAYERS:
        print(f"  {name:<46} {(by_tag[more] - by_tag[less]) / 1000:>8.1f}")
    print(f"\n(c)/(a): the yardstick executes {by_tag['(c)'] / by_tag['(a)']:.3f}x the product's")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.instructions",
        description="Instructions per translated request, counted by valgrind.",
    )
    parser.add_argument(
        "--requests", type=positive_int, default=400, help="requests counted per server (400)"
    )
    args = parser.parse_args(argv)

    def measure() -> None:
        require_tool(VALGRIND, "valgrind")
        require_tool(NGINX, "nginx-light")
        print_counts(run(args.requests), args.requests)

    return run_bench(measure)


if __name__ == "__main__":
    sys.exit(main())
