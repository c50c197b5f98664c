"""Whether this proxy should receive traffic: not while draining, and only with a live upstream."""

import time
from dataclasses import dataclass


@dataclass
class Readiness:
    window_seconds: float
    draining: bool = False
    last_upstream_answer: float | None = None

    def upstream_answered(self) -> None:
        self.last_upstream_answer = time.monotonic()

    def upstream_recently_answered(self) -> bool:
        last = self.last_upstream_answer
        return last is not None and time.monotonic() - last <= self.window_seconds
