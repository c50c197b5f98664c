"""CPU time from /proc: of one process, of a process and its children, of the whole machine."""

import contextlib
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

CLOCK_TICKS_PER_SECOND: Final = os.sysconf("SC_CLK_TCK")
BUSY_MACHINE_CPUS: Final = 0.2


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


def print_background(other: float) -> None:
    print(f"other processes kept {other:.2f} of {os.cpu_count()} CPUs busy during the run")
    if other > BUSY_MACHINE_CPUS:
        print("  WARNING: the machine was not quiet; expect noisy numbers, rerun when idle")
