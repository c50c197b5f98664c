"""Finished historical tasks seeded per credential: mixed kinds and statuses."""

import math
from datetime import datetime, timedelta
from typing import Final

from proxy.core.payload import JSONObject
from proxy.sandbox.stamps import canvas_url, digest_int, seconds_before_epoch, seeded_id
from proxy.sandbox.tasks import CREDITS_USED, Outcome, Task

# Created long before any clock reading, so historical tasks read as terminal at once.
_LONG_AGO: Final = -math.inf
_DONE, _CANCELED = (Outcome.SUCCEED, False), (Outcome.SUCCEED, True)
_CYCLE: Final = (
    *(_DONE, _DONE, (Outcome.FAIL, False), _DONE, _CANCELED),
    *(_DONE, (Outcome.DEAD, False), _DONE, (Outcome.EXPIRE, False), _DONE),
)


def historical_tasks(
    seed: str,
    count: int,
    canvases: list[JSONObject],
    kits: list[JSONObject],
    credits_left: int,
) -> list[Task]:
    return [_task(seed, index, canvases, kits, credits_left) for index in range(count)]


def _task(
    seed: str,
    index: int,
    canvases: list[JSONObject],
    kits: list[JSONObject],
    credits_left: int,
) -> Task:
    kind = _kind(index, canvases, kits)
    outcome, canceled = _ending(index)
    running_for = 120.0 + digest_int(seed, "run", index) % 180
    task = Task(
        id=seeded_id("task", seed, index),
        kind=kind,
        input={},
        created_wall=seconds_before_epoch(5400 * index + 7200),
        created_mono=_LONG_AGO,
        queued_for=4.0,
        running_for=running_for,
        outcome=outcome,
    )
    if canceled:
        task.cancel_requested = task.cancel_effective = 4.0 + running_for / 2
    _fill(task, seed, index, canvases, kits)
    if task.status(math.inf) == "succeeded":
        task.credits = {"credits_used": CREDITS_USED[kind], "credits_remaining": credits_left}
    return task


def _kind(index: int, canvases: list[JSONObject], kits: list[JSONObject]) -> str:
    if index % 5 == 4 and kits:
        return "brand_kit_extract"
    if index % 5 == 3 and len(canvases) >= 2:
        return "remix"
    return "design"


def _ending(index: int) -> tuple[Outcome, bool]:
    """Mostly successes, in a fixed cycle of ten so that every ending shows up in a seed."""
    return _CYCLE[index % len(_CYCLE)]


def _fill(
    task: Task,
    seed: str,
    index: int,
    canvases: list[JSONObject],
    kits: list[JSONObject],
) -> None:
    if task.kind == "brand_kit_extract":
        kit = kits[index % len(kits)]
        task.input = {"url": kit["company_url"]}
        task.planned_result = {"brand_kit_id": kit["id"]}
        return
    if not canvases:
        task.input = {"prompt": "Design a launch announcement"}
        if task.outcome is Outcome.SUCCEED and task.cancel_effective is None:
            task.outcome = Outcome.FAIL  # a success would need a canvas to point at
        return
    canvas = canvases[index % len(canvases)]
    # A successful design finished exactly when its canvas was created.
    task.created_wall = _parse(canvas["created_at"]) - timedelta(seconds=task.terminal_at)
    if task.kind == "remix":
        source = canvases[(index + 1) % len(canvases)]
        task.input = {
            "canvas_id": source["id"],
            "prompt": f"Remix {source['name']} for spring",
        }
        task.planned_result = _canvas_result(canvas, source_canvas_id=source["id"])
        return
    task.input = {
        "prompt": f"Create {canvas['name']}",
        "format": {"category": canvas["category"]},
    }
    task.planned_result = _canvas_result(canvas, conversation_id=seeded_id("conv", seed, index))


def _canvas_result(canvas: JSONObject, **extra: str) -> JSONObject:
    return {"canvas_id": canvas["id"], "canvas_url": canvas_url(canvas["id"]), **extra}


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)
