"""Throughput and CPU cost of the proxy's translated path versus its pass-through path.

Run from the repository root:

    .venv/bin/python -m bench.throughput [--duration SECONDS] [--connections N]
                                         [--warmup SECONDS] [--rounds N]

Defaults: 10 s per scenario after a 2 s warm-up, 64 connections, 5 rounds. Needs nginx
(`apt-get install nginx-light`) and wrk (`apt-get install wrk`). Everything runs on 127.0.0.1.

What it does:

1. Starts nginx (one worker) in a temporary directory as a fast fake Moda upstream that answers
   every `GET /v1/tasks/...` with one fixed 2026-05-01 Task envelope (a running design task).
2. Starts one proxy process (`python -m proxy`) in front of it, with no ./config.yaml.
3. Checks each path once with urllib: a 2026-04-12 client must get a legacy JobResponse (`job_id`,
   `status == "running"`); a 2026-05-01 client must get the upstream body byte for byte.
4. Drives three scenarios with `wrk -t1 --latency`, each for the duration after a warm-up:
   (a) legacy client through the proxy (JSON parse + rewrite + serialize per response),
   (b) canonical client through the proxy (bytes passed through), and
   (c) the upstream directly (the ceiling the load generator and nginx allow on this machine).
   Each scenario's duration is split into rounds run as a, b, c, a, b, c, ... so that other
   load on the machine, or drift, weighs on all three alike; `--rounds 1` runs them back to back.
   Counts add up over the rounds; p50 is the median round's p50, p99 the worst round's p99.
5. Reads the proxy's user+system CPU time from /proc/<pid>/stat around every (a) and (b) run, and
   reports proxy CPU microseconds per request; (a)/(b) is the translation CPU overhead.
6. Compares /proc/stat with the CPU time of its own processes to say how busy other processes
   kept the machine meanwhile, and warns when that makes the numbers unreliable.

It prints a table (requests/s, p50 and p99 latency, proxy CPU per request, failed requests) and
two target checks, each PASS or FAIL:

* the translated path costs at most 15% more proxy CPU per request than pass-through;
* one proxy process sustains at least 4,000 translated requests/s.

A check also FAILs when its scenario saw non-2xx responses or socket errors. wrk, nginx and the
proxy share the machine's cores, so the absolute numbers are a lower bound for the proxy; the CPU
per request is the figure least disturbed by that sharing.

Exit status: 0 when the report was printed (whatever the checks say), 1 when the benchmark
could not run (missing tool, a process that would not start, a wrong response), 130 when
interrupted. nginx and the proxy are stopped on every exit path.
"""

import argparse
import contextlib
import grp
import json
import os
import pwd
import re
import signal
import socket
import statistics
import string
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Final

REPO_ROOT: Final = Path(__file__).resolve().parent.parent
NGINX: Final = Path("/usr/sbin/nginx")
WRK: Final = Path("/usr/bin/wrk")
LOOPBACK: Final = "127.0.0.1"

TASK_PATH: Final = "/v1/tasks/task_01HT9WK8N3M2J4A5Z6P7Q8R9TV"
TASK_BODY: Final = (
    '{"id":"task_01HT9WK8N3M2J4A5Z6P7Q8R9TV","kind":"design","status":"running",'
    '"created_at":"2026-04-15T12:00:00+00:00","started_at":"2026-04-15T12:00:02+00:00",'
    '"completed_at":null,"progress":{"percent":40,"step":"drafting",'
    '"message":"Drafting slide 4 of 10"},"attempt":1,"max_attempts":3,'
    '"input":{"prompt":"Create a sales deck for our Q3 launch","format":{"category":"slides"},'
    '"canvas_id":"cvs_3KGFAVNS0Y98V9NKPD5V3VZJ1P"},"result":null,"error":null,"credits":null,'
    '"links":{"self":"/v1/tasks/task_01HT9WK8N3M2J4A5Z6P7Q8R9TV","events":null,'
    '"cancel":"/v1/tasks/task_01HT9WK8N3M2J4A5Z6P7Q8R9TV/cancel","canvas":null},'
    '"retry_after_ms":3000}'
)
AUTHORIZATION: Final = "Bearer moda_live_bench"
LEGACY_VERSION: Final = "2026-04-12"
CANONICAL_VERSION: Final = "2026-05-01"

MAX_CPU_OVERHEAD_PERCENT: Final = 15.0
MIN_TRANSLATED_RPS: Final = 4000.0

STARTUP_TIMEOUT_SECONDS: Final = 30.0
STOP_TIMEOUT_SECONDS: Final = 5.0
REQUEST_TIMEOUT_SECONDS: Final = 10.0
WRK_SLACK_SECONDS: Final = 30
BUSY_MACHINE_CPUS: Final = 0.2
CLOCK_TICKS_PER_SECOND: Final = os.sysconf("SC_CLK_TCK")

NGINX_CONF: Final = string.Template(
    """$user_line
worker_processes 1;
daemon off;
pid $prefix/nginx.pid;
error_log stderr warn;

events {
    worker_connections $worker_connections;
}

http {
    access_log off;
    client_body_temp_path $prefix/client_body;
    proxy_temp_path $prefix/proxy;
    fastcgi_temp_path $prefix/fastcgi;
    uwsgi_temp_path $prefix/uwsgi;
    scgi_temp_path $prefix/scgi;
    keepalive_requests 100000000;

    server {
        listen $host:$port;

        location /v1/tasks/ {
            default_type application/json;
            add_header Moda-Version $version;
            add_header X-Request-ID bench;
            return 200 '$body';
        }

        location / {
            return 404;
        }
    }
}
"""
)
PROXY_CONF: Final = """\
server:
  shutdown_grace_seconds: 1
"""


class BenchError(Exception):
    """The benchmark itself could not run; the message says why."""


@dataclass(frozen=True)
class Options:
    duration: int
    warmup: int
    connections: int
    rounds: int

    def round_seconds(self) -> list[int]:
        """The duration split into whole-second rounds (wrk takes whole seconds)."""
        rounds = min(self.rounds, self.duration)
        base, extra = divmod(self.duration, rounds)
        return [base + (1 if index < extra else 0) for index in range(rounds)]


@dataclass(frozen=True)
class Scenario:
    name: str
    url: str
    version: str
    proxied: bool


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    @property
    def failures(self) -> int:
        return self.non_2xx + self.socket_errors


def combine(rounds: Sequence[LoadResult]) -> LoadResult:
    """One scenario's rounds as one: counts add up, p50 is the median round's, p99 the worst."""
    return LoadResult(
        requests=sum(load.requests for load in rounds),
        seconds=sum(load.seconds for load in rounds),
        p50_ms=statistics.median(load.p50_ms for load in rounds),
        p99_ms=max(load.p99_ms for load in rounds),
        non_2xx=sum(load.non_2xx for load in rounds),
        socket_errors=sum(load.socket_errors for load in rounds),
    )


@dataclass(frozen=True)
class ScenarioResult:
    scenario: Scenario
    load: LoadResult
    cpu_us_per_request: float | None


@dataclass(frozen=True)
class Report:
    results: list[ScenarioResult]
    other_cpus: float
    proxy_problems: list[str]


# -- processes ------------------------------------------------------------------------------


def require_tool(path: Path, package: str) -> None:
    if not os.access(path, os.X_OK):
        raise BenchError(f"{path} not found; install it with `apt-get install {package}`")


def free_ports(count: int) -> list[int]:
    """Distinct loopback ports nothing listens on (held open together so none repeats)."""
    with contextlib.ExitStack() as stack:
        probes = [stack.enter_context(socket.socket()) for _ in range(count)]
        for probe in probes:
            probe.bind((LOOPBACK, 0))
        return [int(probe.getsockname()[1]) for probe in probes]


def spawn(
    command: list[str], log: Path, cwd: Path, env: dict[str, str] | None = None
) -> "subprocess.Popen[bytes]":
    """Start a child in its own session, so Ctrl-C reaches only us and we stop it in order."""
    with log.open("wb") as sink:
        return subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=env,
            start_new_session=True,
        )


def stop(process: "subprocess.Popen[bytes]") -> None:
    """SIGTERM, then SIGKILL to the child's own process group (e.g. nginx workers) if it lingers."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def log_tail(log: Path, lines: int = 20) -> str:
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty log)"


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1.0):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def wait_until_answering(
    url: str, process: "subprocess.Popen[bytes]", log: Path, what: str
) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        status = process.poll()
        if status is not None:
            raise BenchError(f"{what} exited with status {status} on start:\n{log_tail(log)}")
        if answers(url):
            return
        time.sleep(0.1)
    raise BenchError(
        f"{what} did not answer {url} within {STARTUP_TIMEOUT_SECONDS:.0f} s:\n{log_tail(log)}"
    )


def nginx_literal(text: str) -> str:
    """`text` as the inside of an nginx single-quoted string with no variable interpolation."""
    if any(char in text for char in "'\\$"):
        raise ValueError("the fake upstream body must not contain ', \\ or $")
    return text


def nginx_user_line() -> str:
    # As root nginx drops its workers to nobody:nobody, and Debian has no group `nobody`.
    if os.geteuid() != 0:
        return ""
    user = pwd.getpwuid(os.geteuid()).pw_name
    group = grp.getgrgid(os.getegid()).gr_name
    return f"user {user} {group};"


def nginx_config(prefix: Path, port: int, connections: int) -> str:
    return NGINX_CONF.substitute(
        user_line=nginx_user_line(),
        prefix=prefix,
        worker_connections=max(1024, 2 * connections + 256),
        host=LOOPBACK,
        port=port,
        version=CANONICAL_VERSION,
        body=nginx_literal(TASK_BODY),
    )


def start_nginx(stack: contextlib.ExitStack, workdir: Path, connections: int) -> tuple[int, str]:
    """Start the fake upstream; returns its master's pid and its base URL."""
    prefix = workdir / "nginx"
    prefix.mkdir()
    [port] = free_ports(1)
    conf = prefix / "nginx.conf"
    conf.write_text(nginx_config(prefix, port, connections), encoding="utf-8")
    log = prefix / "stderr.log"
    process = spawn([str(NGINX), "-p", str(prefix), "-c", str(conf)], log, prefix)
    stack.callback(stop, process)
    base_url = f"http://{LOOPBACK}:{port}"
    wait_until_answering(base_url + TASK_PATH, process, log, "nginx")
    return process.pid, base_url


def start_proxy(
    stack: contextlib.ExitStack, workdir: Path, upstream_url: str, extra_args: Sequence[str] = ()
) -> tuple[int, str, Path]:
    """Start one proxy process in front of the upstream; returns its pid, base URL and log."""
    home = workdir / "proxy"
    home.mkdir()
    config = home / "bench-config.yaml"
    config.write_text(PROXY_CONF, encoding="utf-8")
    port, admin_port = free_ports(2)
    command = [
        sys.executable, "-m", "proxy",
        "--config", str(config),
        "--upstream", upstream_url,
        "--listen", f"{LOOPBACK}:{port}",
        "--admin-listen", f"{LOOPBACK}:{admin_port}",
        *extra_args,
    ]  # fmt: skip
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    log = home / "proxy.log"
    process = spawn(command, log, home, env)
    stack.callback(stop, process)
    wait_until_answering(f"http://{LOOPBACK}:{admin_port}/-/healthz", process, log, "the proxy")
    base_url = f"http://{LOOPBACK}:{port}"
    wait_until_answering(base_url + "/", process, log, "the proxy")
    return process.pid, base_url, log


def log_problems(log: Path) -> list[str]:
    """The warning, error and traceback lines a process wrote to its log."""
    markers = ('"level":"warning"', '"level":"error"', '"level":"critical"', "Traceback")
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    return [line for line in lines if any(marker in line for marker in markers)]


def stat_fields(pid: int | str) -> list[str]:
    """/proc/<pid>/stat from field 3 (`state`) on: index 1 is the ppid, 11 utime, 12 stime."""
    stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
    return stat[stat.rindex(")") + 2 :].split()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads)."""
    fields = stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS_PER_SECOND


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of a process and its direct children (nginx's master and workers)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat_fields(entry.name) if entry.name.isdigit() else []
            if fields and (int(entry.name) == pid or int(fields[1]) == pid):
                total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS_PER_SECOND
    return total


def machine_busy_seconds() -> float:
    """CPU time all CPUs spent not idle (steal included), from /proc/stat."""
    first_line = Path("/proc/stat").read_text(encoding="ascii").split("\n", 1)[0]
    ticks = [int(value) for value in first_line.split()[1:9]]
    idle, iowait = ticks[3], ticks[4]
    return (sum(ticks) - idle - iowait) / CLOCK_TICKS_PER_SECOND


@dataclass(frozen=True)
class CpuSnapshot:
    wall: float
    machine_busy: float
    ours: float


def cpu_snapshot(server_pids: Sequence[int]) -> CpuSnapshot:
    """Machine-wide busy time, and the part of it spent by this benchmark and its children."""
    own = os.times()
    ours = own.user + own.system + own.children_user + own.children_system  # wrk is reaped
    ours += sum(tree_cpu_seconds(pid) for pid in server_pids)
    return CpuSnapshot(time.monotonic(), machine_busy_seconds(), ours)


def other_cpus(before: CpuSnapshot, after: CpuSnapshot) -> float:
    """How many CPUs' worth of work other processes did between the snapshots."""
    wall = after.wall - before.wall
    others = (after.machine_busy - before.machine_busy) - (after.ours - before.ours)
    return max(0.0, others / wall) if wall > 0 else 0.0


# -- correctness ----------------------------------------------------------------------------


def request_headers(version: str) -> dict[str, str]:
    return {"Authorization": AUTHORIZATION, "Moda-Version": version}


def fetch(url: str, version: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=request_headers(version))
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError as exc:
        raise BenchError(f"GET {url} failed: {exc}") from exc


def describe(status: int, body: bytes) -> str:
    return f"HTTP {status}: {body[:600].decode('utf-8', errors='replace')}"


def check_legacy(url: str) -> None:
    status, body = fetch(url, LEGACY_VERSION)
    try:
        job = json.loads(body)
    except ValueError:
        job = None
    if (
        status != 200
        or not isinstance(job, dict)
        or "job_id" not in job
        or job.get("status") != "running"
    ):
        raise BenchError(
            "legacy (2026-04-12) response is not a running JobResponse with `job_id`; "
            + describe(status, body)
        )


def check_canonical(url: str) -> None:
    status, body = fetch(url, CANONICAL_VERSION)
    if status != 200 or body != TASK_BODY.encode():
        raise BenchError(
            "canonical (2026-05-01) response is not the upstream body byte for byte; "
            + describe(status, body)
        )


def check_responses(scenarios: Sequence[Scenario]) -> None:
    for scenario in scenarios:
        if scenario.version == LEGACY_VERSION:
            check_legacy(scenario.url)
        else:
            check_canonical(scenario.url)


# -- load -----------------------------------------------------------------------------------

_MS_PER_UNIT: Final = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_PERCENTILE: Final = re.compile(r"^\s*(\d+)%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.MULTILINE)
_REQUESTS: Final = re.compile(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h),", re.MULTILINE)
_SOCKET_ERRORS: Final = re.compile(
    r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)"
)
_NON_2XX: Final = re.compile(r"Non-2xx or 3xx responses: (\d+)")


def run_wrk(scenario: Scenario, connections: int, seconds: int) -> str:
    command = [
        str(WRK), "-t1", f"-c{connections}", f"-d{seconds}s", "--latency",
        "-H", f"Authorization: {AUTHORIZATION}",
        "-H", f"Moda-Version: {scenario.version}",
        scenario.url,
    ]  # fmt: skip
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            check=False,
            timeout=seconds + WRK_SLACK_SECONDS,
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"wrk did not finish {scenario.name} in time") from exc
    if done.returncode != 0:
        raise BenchError(
            f"wrk failed on {scenario.name} (status {done.returncode}):\n{done.stderr}"
        )
    return done.stdout


def parse_wrk(output: str) -> LoadResult:
    percentiles = {
        int(match[1]): float(match[2]) * _MS_PER_UNIT[match[3]]
        for match in _PERCENTILE.finditer(output)
    }
    requests = _REQUESTS.search(output)
    if requests is None or 50 not in percentiles or 99 not in percentiles:
        raise BenchError(f"cannot read wrk's report:\n{output}")
    socket_errors = _SOCKET_ERRORS.search(output)
    non_2xx = _NON_2XX.search(output)
    return LoadResult(
        requests=int(requests[1]),
        seconds=float(requests[2]) * _MS_PER_UNIT[requests[3]] / 1000.0,
        p50_ms=percentiles[50],
        p99_ms=percentiles[99],
        non_2xx=int(non_2xx[1]) if non_2xx else 0,
        socket_errors=sum(map(int, socket_errors.groups())) if socket_errors else 0,
    )


def measure(
    scenario: Scenario, connections: int, seconds: int, proxy_pid: int
) -> tuple[LoadResult, float]:
    """One wrk run and the proxy CPU seconds spent during it."""
    cpu_before = cpu_seconds(proxy_pid)
    load = parse_wrk(run_wrk(scenario, connections, seconds))
    return load, cpu_seconds(proxy_pid) - cpu_before


def scenario_result(
    scenario: Scenario, rounds: Sequence[LoadResult], cpu_used: float
) -> ScenarioResult:
    load = combine(rounds)
    cpu_per_request = None
    if scenario.proxied and load.requests > 0:
        cpu_per_request = cpu_used * 1e6 / load.requests
    return ScenarioResult(scenario, load, cpu_per_request)


def run_scenarios(
    scenarios: Sequence[Scenario], options: Options, proxy_pid: int
) -> list[ScenarioResult]:
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
            load, cpu = measure(scenario, options.connections, seconds, proxy_pid)
            loads[scenario].append(load)
            cpu_used[scenario] += cpu
    return [
        scenario_result(scenario, loads[scenario], cpu_used[scenario]) for scenario in scenarios
    ]


# -- report ---------------------------------------------------------------------------------


def progress(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def optional(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def print_table(results: Sequence[ScenarioResult]) -> None:
    print(
        f"{'scenario':<34} {'requests/s':>11} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'proxy CPU µs/req':>17} {'non-2xx':>8} {'sock err':>8}"
    )
    for result in results:
        load = result.load
        print(
            f"{result.scenario.name:<34} {load.requests_per_second:>11,.0f} {load.p50_ms:>8.2f} "
            f"{load.p99_ms:>8.2f} {optional(result.cpu_us_per_request, '.1f'):>17} "
            f"{load.non_2xx:>8} {load.socket_errors:>8}"
        )


def verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def failure_note(*results: ScenarioResult) -> str:
    failures = sum(result.load.failures for result in results)
    return f"; {failures} failed requests" if failures else ""


def print_cpu_check(translated: ScenarioResult, passthrough: ScenarioResult) -> None:
    label = (
        f"translated path costs at most {MAX_CPU_OVERHEAD_PERCENT:.0f}% more proxy CPU per "
        "request than pass-through"
    )
    a, b = translated.cpu_us_per_request, passthrough.cpu_us_per_request
    if a is None or b is None or b <= 0:
        print(f"  FAIL  {label} (no CPU measurement)")
        return
    overhead = (a / b - 1.0) * 100.0
    note = failure_note(translated, passthrough)
    passed = overhead <= MAX_CPU_OVERHEAD_PERCENT and not note
    print(
        f"translation CPU overhead: (a)/(b) = {a:.1f} / {b:.1f} µs = {a / b:.3f} ({overhead:+.1f}%)"
    )
    print(f"  {verdict(passed)}  {label} (measured {overhead:+.1f}%{note})")


def print_throughput_check(translated: ScenarioResult) -> None:
    label = f"one proxy process sustains at least {MIN_TRANSLATED_RPS:,.0f} translated requests/s"
    rate = translated.load.requests_per_second
    note = failure_note(translated)
    passed = rate >= MIN_TRANSLATED_RPS and not note
    print(f"  {verdict(passed)}  {label} (measured {rate:,.0f}/s{note})")


def print_background(other: float) -> None:
    print(f"other processes kept {other:.2f} of {os.cpu_count()} CPUs busy during the run")
    if other > BUSY_MACHINE_CPUS:
        print("  WARNING: the machine was not quiet; expect noisy numbers, rerun when idle")


def print_proxy_problems(problems: Sequence[str], shown: int = 5) -> None:
    if not problems:
        print("the proxy logged no warnings or errors")
        return
    print(f"WARNING: the proxy logged {len(problems)} warning/error lines; the first ones:")
    for line in problems[:shown]:
        print(f"  {line}")


def print_report(report: Report, options: Options) -> None:
    print(
        f"\nmoda-compat-proxy throughput: GET {TASK_PATH}, wrk -t1 -c{options.connections}, "
        f"{options.duration} s per scenario in {len(options.round_seconds())} interleaved "
        f"rounds after {options.warmup} s warm-up; wrk, nginx and the proxy share the CPUs\n"
    )
    print_table(report.results)
    print()
    print_background(report.other_cpus)
    print_proxy_problems(report.proxy_problems)
    translated, passthrough = report.results[0], report.results[1]
    print_cpu_check(translated, passthrough)
    print_throughput_check(translated)


# -- main -----------------------------------------------------------------------------------


def scenarios_for(proxy_url: str, upstream_url: str) -> list[Scenario]:
    return [
        Scenario("(a) legacy via proxy (translated)", proxy_url + TASK_PATH, LEGACY_VERSION, True),
        Scenario(
            "(b) canonical via proxy (passed)", proxy_url + TASK_PATH, CANONICAL_VERSION, True
        ),
        Scenario("(c) upstream direct (nginx)", upstream_url + TASK_PATH, CANONICAL_VERSION, False),
    ]


def run_benchmark(options: Options) -> Report:
    require_tool(NGINX, "nginx-light")
    require_tool(WRK, "wrk")
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="moda-bench-")))
        progress("starting nginx as the fake upstream")
        nginx_pid, upstream_url = start_nginx(stack, workdir, options.connections)
        progress("starting the proxy")
        proxy_pid, proxy_url, proxy_log = start_proxy(stack, workdir, upstream_url)
        scenarios = scenarios_for(proxy_url, upstream_url)
        check_responses(scenarios)
        progress("responses check out on all three paths")
        before = cpu_snapshot([nginx_pid, proxy_pid])
        results = run_scenarios(scenarios, options, proxy_pid)
        background = other_cpus(before, cpu_snapshot([nginx_pid, proxy_pid]))
        return Report(results, background, log_problems(proxy_log))


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def parse_options(
    argv: Sequence[str] | None,
    prog: str = "python -m bench.throughput",
    description: str = (
        "Proxy throughput and CPU per request: translated vs pass-through vs direct."
    ),
) -> Options:
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument(
        "--duration", type=positive_int, default=10, help="seconds per scenario (10)"
    )
    parser.add_argument("--warmup", type=positive_int, default=2, help="warm-up seconds (2)")
    parser.add_argument("--connections", type=positive_int, default=64, help="wrk connections (64)")
    parser.add_argument(
        "--rounds",
        type=positive_int,
        default=5,
        help="interleaved rounds the duration is split in (5)",
    )
    args = parser.parse_args(argv)
    return Options(
        duration=args.duration, warmup=args.warmup, connections=args.connections, rounds=args.rounds
    )


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_options(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        report = run_benchmark(options)
    except BenchError as exc:
        progress(f"cannot run: {exc}")
        return 1
    except KeyboardInterrupt:
        progress("interrupted; nginx and the proxy were stopped")
        return 130
    print_report(report, options)
    return 0


if __name__ == "__main__":
    sys.exit(main())
