"""wrk as the load generator: one scenario's run, and its report read back.

Latency is pooled over rounds: wrk runs with bench/latency.lua, which prints each round's quantile
function (whole percents, then hundredths of a percent above 95%); `combine` merges the rounds'
distributions weighted by their request counts and reads p50 and p99 off the merge. The p99 of
the scenario is then the p99 of all its requests, not of whichever round the machine disturbed.
"""

import bisect
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from bench.processes import BenchError
from bench.task import AUTHORIZATION

WRK: Final = Path("/usr/bin/wrk")
LATENCY_SCRIPT: Final = Path(__file__).with_name("latency.lua")
WRK_SLACK_SECONDS: Final = 30


@dataclass(frozen=True)
class Scenario:
    name: str
    url: str
    version: str
    server_pid: int | None  # whose CPU per request is reported (None: not reported)


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int
    # (percent, ms) points of the latency quantile function, ascending; empty when wrk printed
    # none (a report from another script), which `combine` refuses to pool.
    quantiles: tuple[tuple[float, float], ...] = ()

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    @property
    def failures(self) -> int:
        return self.non_2xx + self.socket_errors


def combine(rounds: Sequence[LoadResult]) -> LoadResult:
    """One scenario's rounds as one: counts add up, p50 and p99 are those of all the rounds'
    requests together."""
    if any(not load.quantiles for load in rounds):
        raise BenchError("a round has no latency quantiles to pool (was wrk run without -s?)")
    return LoadResult(
        requests=sum(load.requests for load in rounds),
        seconds=sum(load.seconds for load in rounds),
        p50_ms=pooled_percentile(rounds, 50.0),
        p99_ms=pooled_percentile(rounds, 99.0),
        non_2xx=sum(load.non_2xx for load in rounds),
        socket_errors=sum(load.socket_errors for load in rounds),
    )


def share_at_most(load: LoadResult, latency_ms: float) -> float:
    """The percent of a round's requests known to have taken at most `latency_ms` (a lower
    bound between the quantile points)."""
    values = [value for _, value in load.quantiles]
    below = bisect.bisect_right(values, latency_ms)
    return load.quantiles[below - 1][0] if below else 0.0


def pooled_percentile(rounds: Sequence[LoadResult], percent: float) -> float:
    """The smallest latency that `percent` of all the rounds' requests did not exceed; rounds
    weigh by their request counts. Between quantile points a round counts only the requests
    it is sure of, so the answer errs high, never low."""
    total = sum(load.requests for load in rounds)
    candidates = sorted({value for load in rounds for _, value in load.quantiles})
    for latency_ms in candidates:
        within = sum(load.requests * share_at_most(load, latency_ms) for load in rounds)
        if within >= percent * total:
            return latency_ms
    return candidates[-1]


_MS_PER_UNIT: Final = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_PERCENTILE: Final = re.compile(r"^\s*(\d+)%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.MULTILINE)
_REQUESTS: Final = re.compile(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h),", re.MULTILINE)
_SOCKET_ERRORS: Final = re.compile(
    r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)"
)
_NON_2XX: Final = re.compile(r"Non-2xx or 3xx responses: (\d+)")
_QUANTILES: Final = re.compile(r"^latency-quantiles (.+)$", re.MULTILINE)


def run_wrk(scenario: Scenario, connections: int, seconds: int) -> str:
    command = [
        str(WRK), "-t1", f"-c{connections}", f"-d{seconds}s", "--latency",
        "-s", str(LATENCY_SCRIPT),
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
    quantiles = _QUANTILES.search(output)
    return LoadResult(
        requests=int(requests[1]),
        seconds=float(requests[2]) * _MS_PER_UNIT[requests[3]] / 1000.0,
        p50_ms=percentiles[50],
        p99_ms=percentiles[99],
        non_2xx=int(non_2xx[1]) if non_2xx else 0,
        socket_errors=sum(map(int, socket_errors.groups())) if socket_errors else 0,
        quantiles=parse_quantiles(quantiles[1]) if quantiles else (),
    )


def parse_quantiles(text: str) -> tuple[tuple[float, float], ...]:
    """bench/latency.lua's "PERCENT:MICROSECONDS ..." as (percent, ms) points."""
    points = []
    for pair in text.split():
        percent, microseconds = pair.split(":")
        points.append((float(percent), int(microseconds) / 1000.0))
    return tuple(points)
