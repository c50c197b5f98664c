"""Moda's task vocabulary: the statuses a task passes through (moda-api.md §2.5). Pure.

The proxy's emulators, the translations and the sandbox all speak of tasks in these words; they
import them from here, the one place that names them.
"""

from typing import Any, Final

TERMINAL_STATUSES: Final = frozenset({"succeeded", "failed", "canceled", "expired"})
# The published enum: what a task may be at any moment.
PUBLISHED_STATUSES: Final = frozenset({"queued", "running", *TERMINAL_STATUSES})
# Plus the transient `canceling` of a 202 cancel answer, which the enum leaves out.
TASK_STATUSES: Final = PUBLISHED_STATUSES | {"canceling"}


def is_settled(document: dict[str, Any]) -> bool:
    return document.get("status") in TERMINAL_STATUSES
