"""A sandbox task and its lifecycle, computed from elapsed time, not by a worker.

Every moment is kept as seconds since the task was created (`elapsed`), so one clock
reading tells the whole state: queued until `queued_for`, running until `queued_for +
running_for`, then the outcome the prompt's tags chose. A cancel records when it was
asked for and when it takes effect.
"""

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from proxy.core.payload import JSONObject
from proxy.core.tasks import TERMINAL_STATUSES

TERMINAL: Final = TERMINAL_STATUSES
CANONICAL_STATUSES: Final = frozenset({"queued", "running", *TERMINAL})
CREDITS_USED: Final = {"design": 5, "remix": 3, "brand_kit_extract": 1}
_TAG: Final = re.compile(r"#(fail|dead|expire|slow-cancel)\b", re.IGNORECASE)


class Outcome(StrEnum):
    SUCCEED = "succeed"
    FAIL = "fail"
    DEAD = "dead"
    EXPIRE = "expire"


_ENDINGS: Final = {
    Outcome.SUCCEED: "succeeded",
    Outcome.FAIL: "failed",
    Outcome.DEAD: "failed",
    Outcome.EXPIRE: "expired",
}


def plan_from_prompt(prompt: str | None) -> tuple[Outcome, bool]:
    """The outcome a prompt's tags ask for (first wins), and whether cancel is slow."""
    tags = [match.lower() for match in _TAG.findall(prompt or "")]
    outcome = next((Outcome(tag) for tag in tags if tag != "slow-cancel"), Outcome.SUCCEED)
    return outcome, "slow-cancel" in tags


@dataclass
class Task:
    id: str
    kind: str
    input: JSONObject
    created_wall: datetime
    created_mono: float
    queued_for: float
    running_for: float
    outcome: Outcome = Outcome.SUCCEED
    slow_cancel: bool = False
    planned_result: JSONObject | None = None
    working_canvas_url: str | None = None
    cancel_requested: float | None = None
    cancel_effective: float | None = None
    credits: JSONObject | None = None

    def elapsed(self, now: float) -> float:
        return now - self.created_mono

    @property
    def natural_end(self) -> float:
        return self.queued_for + self.running_for

    @property
    def terminal_at(self) -> float:
        """Seconds after creation at which the task is (or will be) terminal."""
        return self.natural_end if self.cancel_effective is None else self.cancel_effective

    def status(self, elapsed: float) -> str:
        """A canonical status, or the transient `canceling` of a slow cancel."""
        if self.cancel_effective is not None and self.cancel_requested is not None:
            if elapsed >= self.cancel_effective:
                return "canceled"
            if elapsed >= self.cancel_requested:
                return "canceling"
        if elapsed >= self.natural_end:
            return _ENDINGS[self.outcome]
        if elapsed < self.queued_for or self.outcome is Outcome.EXPIRE:
            return "queued"
        return "running"

    def is_terminal(self, now: float) -> bool:
        return self.status(self.elapsed(now)) in TERMINAL

    def has_started(self, elapsed: float) -> bool:
        stop = math.inf if self.cancel_effective is None else self.cancel_effective
        return self.outcome is not Outcome.EXPIRE and self.queued_for <= min(elapsed, stop)

    def seconds_to_next_change(self, elapsed: float) -> float | None:
        """Time until the status next changes on its own; None once terminal."""
        status = self.status(elapsed)
        if status in TERMINAL:
            return None
        if status == "canceling" and self.cancel_effective is not None:
            return self.cancel_effective - elapsed
        if status == "queued" and self.outcome is not Outcome.EXPIRE:
            return self.queued_for - elapsed
        return self.natural_end - elapsed

    def cancel(self, elapsed: float, ack_delay: float) -> None:
        """Cancel now, or, for a running `#slow-cancel` task, once the executor acks."""
        status = self.status(elapsed)
        if status in TERMINAL or status == "canceling":
            return
        delay = ack_delay if self.slow_cancel and status == "running" else 0.0
        self.cancel_requested = elapsed
        self.cancel_effective = elapsed + delay

    def wall_at(self, elapsed: float) -> datetime:
        return self.created_wall + timedelta(seconds=elapsed)
