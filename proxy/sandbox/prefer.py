"""`Prefer: wait=N` (RFC 7240): parsing it, and holding a response while a task runs."""

import re
from collections.abc import Iterable
from typing import Final

from proxy.clock import Clock
from proxy.sandbox.tasks import Task

_DIGITS: Final = re.compile(r"^\d{1,9}$")
# A cancel on another request can end a task early; look again at least this often.
_LONGEST_NAP: Final = 1.0
_SHORTEST_NAP: Final = 0.01


def parse_wait(header_values: Iterable[str]) -> int | None:
    """The first valid `wait` in the Prefer headers; malformed ones don't count."""
    for value in header_values:
        for preference in value.split(","):
            name, _, rest = preference.split(";", 1)[0].partition("=")
            seconds = rest.strip().strip('"')
            if name.strip().lower() == "wait" and _DIGITS.match(seconds):
                return int(seconds)
    return None


def wait_budget(requested: int | None, cap: float) -> float | None:
    return None if requested is None else min(float(requested), cap)


def format_seconds(seconds: float) -> str:
    return f"{seconds:g}"


async def hold_until_terminal(task: Task, budget: float, clock: Clock) -> None:
    """Sleeps until the task is terminal or `budget` seconds have passed."""
    deadline = clock.now() + budget
    while not task.is_terminal(now := clock.now()) and now < deadline:
        until_change = task.seconds_to_next_change(task.elapsed(now)) or _LONGEST_NAP
        nap = min(deadline - now, until_change, _LONGEST_NAP)
        await clock.sleep(max(nap, min(_SHORTEST_NAP, deadline - now)))
