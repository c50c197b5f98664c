"""Builders for test data in the upstream's own shapes."""

from typing import Any

from proxy.core.payload import JSONObject

TASK_ID = "task_01HT9WK8N3M2J4A5Z6P7Q8R9TV"


def make_task(**overrides: Any) -> JSONObject:
    """A canonical queued design task; keyword arguments replace top-level keys."""
    task: JSONObject = {
        "id": TASK_ID,
        "kind": "design",
        "status": "queued",
        "created_at": "2026-04-15T12:00:00+00:00",
        "started_at": None,
        "completed_at": None,
        "progress": None,
        "attempt": 1,
        "max_attempts": 3,
        "input": {"prompt": "Create a sales deck"},
        "result": None,
        "error": None,
        "credits": None,
        "links": {
            "self": f"/v1/tasks/{TASK_ID}",
            "events": None,
            "cancel": f"/v1/tasks/{TASK_ID}/cancel",
            "canvas": None,
        },
        "retry_after_ms": 3000,
    }
    task.update(overrides)
    return task
