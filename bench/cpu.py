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


def machine_seconds() -> tuple[float, float]:
    """CPU time all CPUs spent busy here, and the time the hypervisor gave to other machines
    while this one had work (steal), from /proc/stat."""
    first_line = Path("/proc/stat").read_text(encoding="ascii").split("\n", 1)[0]
    ticks = [int(value) for value in first_line.split()[1:9]]
    idle, iowait, steal = ticks[3], ticks[4], ticks[7]
    return (sum(ticks) - idle - iowait - steal) / CLOCK_TICKS_PER_SECOND, (
        steal / CLOCK_TICKS_PER_SECOND
    )


@dataclass(frozen=True)
class CpuSnapshot:
    wall: float
    machine_busy: float
    machine_stolen: float
    ours: float


def cpu_snapshot(server_pids: Sequence[int]) -> CpuSnapshot:
    """Machine-wide busy and stolen time, and the part of the busy time spent by this
    benchmark and its children."""
    own = os.times()
    ours = own.user + own.system + own.children_user + own.children_system  # wrk is reaped
    ours += sum(tree_cpu_seconds(pid) for pid in server_pids)
    busy, stolen = machine_seconds()
    return CpuSnapshot(time.monotonic(), busy, stolen, ours)


@dataclass(frozen=True)
class Background:
    """What disturbed a run, in CPUs' worth over its wall time."""

    other_processes: float
    stolen: float  # by the hypervisor: a virtual machine's CPUs withheld while it had work

    @property
    def disturbing(self) -> bool:
        return self.other_processes + self.stolen > BUSY_MACHINE_CPUS


def disturbance(before: CpuSnapshot, after: CpuSnapshot) -> Background:
    """How many CPUs' worth of work other processes did between the snapshots, and how many
    CPUs the hypervisor withheld meanwhile."""
    wall = after.wall - before.wall
    if wall <= 0:
        return Background(0.0, 0.0)
    others = (after.machine_busy - before.machine_busy) - (after.ours - before.ours)
    stolen = after.machine_stolen - before.machine_stolen
    return Background(max(0.0, others / wall), max(0.0, stolen / wall))


def print_background(background: Background) -> None:
    print(
        f"other processes kept {background.other_processes:.2f} of {os.cpu_count()} CPUs busy "
        f"and the hypervisor withheld {background.stolen:.2f} CPUs (steal) during the run"
    )
    if background.disturbing:
        print("  WARNING: the machine was not quiet; expect noisy numbers, rerun when idle")
