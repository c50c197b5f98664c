"""Holding a sandbox response while a task runs, for `Prefer: wait` (parsed in proxy.core)."""

from typing import Final

from proxy.clock import Clock
from proxy.sandbox.tasks import Task

# A cancel on another request can end a task early; look again at least this often.
_LONGEST_NAP: Final = 1.0
_SHORTEST_NAP: Final = 0.01


def format_seconds(seconds: float) -> str:
    return f"{seconds:g}"


async def hold_until_terminal(task: Task, budget: float, clock: Clock) -> None:
    """Sleeps until the task is terminal or `budget` seconds have passed."""
    deadline = clock.now() + budget
    while not task.is_terminal(now := clock.now()) and now < deadline:
        until_change = task.seconds_to_next_change(task.elapsed(now)) or _LONGEST_NAP
        nap = min(deadline - now, until_change, _LONGEST_NAP)
        await clock.sleep(max(nap, min(_SHORTEST_NAP, deadline - now)))
