"""Command-line options shared by the wrk benchmarks (bench.throughput, bench.workers)."""

import argparse
from collections.abc import Sequence
from dataclasses import dataclass

from bench.processes import positive_int


@dataclass(frozen=True)
class Options:
    duration: int
    warmup: int
    connections: int
    rounds: int
    runs: int = 1

    def round_seconds(self) -> list[int]:
        """The duration split into whole-second rounds (wrk takes whole seconds)."""
        rounds = min(self.rounds, self.duration)
        base, extra = divmod(self.duration, rounds)
        return [base + (1 if index < extra else 0) for index in range(rounds)]


def parse_options(
    argv: Sequence[str] | None,
    prog: str,
    description: str,
    *,
    connections: int = 64,
    duration: int = 10,
    rounds: int = 5,
    with_runs: bool = False,
) -> Options:
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument(
        "--duration",
        type=positive_int,
        default=duration,
        help=f"seconds per scenario ({duration})",
    )
    parser.add_argument("--warmup", type=positive_int, default=2, help="warm-up seconds (2)")
    parser.add_argument(
        "--connections",
        type=positive_int,
        default=connections,
        help=f"wrk connections ({connections})",
    )
    parser.add_argument(
        "--rounds",
        type=positive_int,
        default=rounds,
        help=f"interleaved rounds the duration is split in ({rounds})",
    )
    if with_runs:
        parser.add_argument(
            "--runs",
            type=positive_int,
            default=1,
            help="whole runs, each with fresh processes; more than one reports the spread (1)",
        )
    args = parser.parse_args(argv)
    return Options(
        duration=args.duration,
        warmup=args.warmup,
        connections=args.connections,
        rounds=args.rounds,
        runs=getattr(args, "runs", 1),
    )
