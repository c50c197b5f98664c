"""Whether this proxy should receive traffic: not while draining, and only with a live upstream."""

from dataclasses import dataclass

from proxy.clock import Clock


@dataclass
class Readiness:
    window_seconds: float
    clock: Clock
    draining: bool = False
    last_upstream_answer: float | None = None

    def upstream_answered(self) -> None:
        self.last_upstream_answer = self.clock.now()

    def upstream_recently_answered(self) -> bool:
        last = self.last_upstream_answer
        return last is not None and self.clock.now() - last <= self.window_seconds
