"""Expiry notices: what a read of a watched task means, and the event that tells of an expiry. Pure.

Moda announces a task's end by webhook unless it expired in the queue (moda-api.md §4). For a task
whose client waits on a callback, the proxy reads the task until it ends and, when it finds it
expired, makes the event Moda would have sent. `task.expired` is the proxy's own name for it; the
versions that relay callbacks translate it like any upstream event.
"""

import hashlib
import uuid
from enum import Enum
from typing import Any, Final

from proxy.core.ids import encode_uuid
from proxy.core.tasks import is_settled

EXPIRY_EVENT: Final = "task.expired"
# Upstream answers after which reading the task again can never succeed: the key was revoked or
# lost its scope, or the task is gone.
_HOPELESS_STATUSES: Final = frozenset({401, 403, 404})


class Verdict(Enum):
    NOTIFY = "notify"  # expired: the client hears of it from the proxy
    END = "end"  # ended otherwise, or can no longer be read: Moda's own event (if any) tells
    KEEP = "keep"  # not ended: read it again later


def read_verdict(status: int, document: Any) -> Verdict:
    """What a read of a watched task (its HTTP status and parsed body) decides."""
    if status in _HOPELESS_STATUSES:
        return Verdict.END
    if not (200 <= status < 300 and isinstance(document, dict)):
        return Verdict.KEEP  # a passing failure: the next read may do better
    if document.get("status") == "expired":
        return Verdict.NOTIFY
    return Verdict.END if is_settled(document) else Verdict.KEEP


def expiry_event_id(task_id: str) -> str:
    """One id per task, the same from every replica, so its delivery is recorded once."""
    digest = hashlib.blake2b(f"expired:{task_id}".encode(), digest_size=16).digest()
    return "evt_" + encode_uuid(uuid.UUID(bytes=digest))


def expiry_event(task: dict[str, Any], created: str, api_version: str) -> dict[str, Any]:
    """The upstream-shaped event for an expired Task, ready for a version's event chain."""
    return {
        "id": expiry_event_id(str(task["id"])),
        "type": EXPIRY_EVENT,
        "created": created,
        "api_version": api_version,
        "data": task,
    }
