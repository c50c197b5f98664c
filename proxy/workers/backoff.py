"""How long the supervisor pauses before replacing a worker.

A worker that dies as it starts would otherwise be restarted in a tight loop, so each failure in a
row doubles the pause: 0.2 s, 0.4 s, … at most 10 s. A worker that served for a while was not
crash-looping, whatever came before it: its exit starts the pauses over at 0.2 s.
"""

from typing import Final

from proxy.clock import Clock

FIRST_PAUSE_SECONDS: Final = 0.2
MOST_PAUSE_SECONDS: Final = 10.0
# Serving this long proves a worker healthy: the failures before it no longer count.
STEADY_SECONDS: Final = 30.0


class RestartBackoff:
    """The pauses of one worker slot, on `clock` so that tests need not wait for them."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._failures = 0
        self._serving_since: float | None = None

    def serving(self) -> None:
        """The slot's worker started serving (it reported its admin address)."""
        self._serving_since = self._clock.now()

    def _was_steady(self) -> bool:
        since = self._serving_since
        return since is not None and self._clock.now() - since >= STEADY_SECONDS

    def next_pause(self) -> float:
        """The pause before the next start, now that the worker exited or failed to start."""
        if self._was_steady():
            self._failures = 0
        self._serving_since = None
        self._failures += 1
        return min(MOST_PAUSE_SECONDS, FIRST_PAUSE_SECONDS * 2.0 ** (self._failures - 1))
