"""Hypothesis strategies for upstream documents: mostly canonical Tasks built through the upstream
models (so every one of them is a Task Moda could send), and a minority bent out of shape."""

from datetime import UTC, datetime, timedelta
from typing import Any, Final

from hypothesis import strategies as st

from proxy.core.payload import JSONObject
from translations.models import upstream

_CROCKFORD: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_STARTED: Final = frozenset({"running", "canceling", "succeeded", "failed", "canceled"})
_TERMINAL: Final = frozenset({"succeeded", "failed", "canceled", "expired"})
_START: Final = datetime(2025, 1, 1, tzinfo=UTC)

# Values no field of a canonical Task may hold in their place.
ODD: Final = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)


def prefixed_ids(prefix: str) -> st.SearchStrategy[str]:
    return st.text(_CROCKFORD, min_size=26, max_size=26).map(lambda tail: f"{prefix}_{tail}")


def _timestamps() -> st.SearchStrategy[str]:
    seconds = st.integers(0, 2 * 365 * 24 * 3600)
    return seconds.map(lambda n: (_START + timedelta(seconds=n)).isoformat(timespec="seconds"))


def _maybe_text() -> st.SearchStrategy[str | None]:
    return st.none() | st.text(max_size=20)


def _progress() -> st.SearchStrategy[upstream.Progress | None]:
    return st.none() | st.builds(
        upstream.Progress,
        percent=st.none() | st.integers(0, 100),
        step=_maybe_text(),
        message=_maybe_text(),
    )


def _credits() -> st.SearchStrategy[upstream.Credits | None]:
    count = st.none() | st.integers(0, 10_000)
    return st.none() | st.builds(upstream.Credits, credits_used=count, credits_remaining=count)


def _result(kind: str) -> st.SearchStrategy[dict[str, object]]:
    canvas = {"canvas_id": prefixed_ids("cvs"), "canvas_url": st.text(min_size=1, max_size=30)}
    if kind == "remix":
        return st.fixed_dictionaries({**canvas, "source_canvas_id": prefixed_ids("cvs")})
    if kind == "design":
        return st.fixed_dictionaries({**canvas, "conversation_id": prefixed_ids("conv")})
    return st.fixed_dictionaries({})


def _input(kind: str) -> st.SearchStrategy[dict[str, object]]:
    if kind == "design":
        return st.fixed_dictionaries(
            {"prompt": st.text(max_size=40)},
            optional={"canvas_id": prefixed_ids("cvs"), "conversation_id": prefixed_ids("conv")},
        )
    if kind == "remix":
        return st.fixed_dictionaries(
            {"canvas_id": prefixed_ids("cvs")}, optional={"prompt": st.text(max_size=40)}
        )
    return st.fixed_dictionaries({})


_STATUSES: Final = ("queued", "running", "succeeded", "failed", "canceled", "expired", "canceling")
# moda-api.md §4: the terminal events and the status of the Task each one carries.
EVENT_STATUSES: Final = {
    "task.succeeded": "succeeded",
    "task.failed": "failed",
    "task.canceled": "canceled",
    # Not sent by Moda: the proxy's own event for a task that expired (proxy.server.expiry).
    "task.expired": "expired",
}


@st.composite
def canonical_tasks(draw: st.DrawFn, statuses: tuple[str, ...] = _STATUSES) -> JSONObject:
    """A Task as Moda sends it: fields consistent with its status, validated by its model."""
    task_id = draw(prefixed_ids("task"))
    kind = draw(st.sampled_from(["design", "remix", "export", "brand_kit_extract"]))
    status = draw(st.sampled_from(statuses))
    error = None
    if status in {"failed", "expired"}:
        message, retryable = draw(st.text(max_size=30)), draw(st.booleans())
        error = upstream.TaskError(message=message, retryable=retryable)
    task = upstream.Task(
        id=task_id,
        kind=kind,
        status=status,
        created_at=draw(_timestamps()),
        started_at=draw(_timestamps()) if status in _STARTED else None,
        completed_at=draw(_timestamps()) if status in _TERMINAL else None,
        progress=draw(_progress()),
        attempt=draw(st.integers(1, 3)),
        max_attempts=3,
        input=draw(_input(kind)),
        result=draw(_result(kind)) if status == "succeeded" else None,
        error=error,
        credits=draw(_credits()) if status == "succeeded" else None,
        links=upstream.Links(
            self=f"/v1/tasks/{task_id}",
            events=None,
            cancel=None if status in _TERMINAL else f"/v1/tasks/{task_id}/cancel",
            canvas=None,
        ),
        retry_after_ms=None if status in _TERMINAL else draw(st.integers(0, 60_000)),
    )
    document: JSONObject = task.model_dump(mode="json")
    # moda-api.md §7: fields added later arrive without a version bump.
    document.update(draw(st.dictionaries(st.sampled_from(["priority", "labels"]), ODD, max_size=1)))
    return document


@st.composite
def canonical_events(draw: st.DrawFn) -> JSONObject:
    """A webhook event as Moda sends it (moda-api.md §4): the full Task as `data`."""
    event_type = draw(st.sampled_from(sorted(EVENT_STATUSES)))
    return {
        "id": draw(prefixed_ids("evt")),
        "type": event_type,
        "created": draw(_timestamps()),
        "api_version": "2026-05-01",
        "data": draw(canonical_tasks(statuses=(EVENT_STATUSES[event_type],))),
    }


@st.composite
def _bent(draw: st.DrawFn, documents: st.SearchStrategy[JSONObject]) -> JSONObject:
    """A canonical document with one key dropped or given an odd value, its own or one of an
    object it holds (a Task's `progress`, a page's item)."""
    document = draw(documents)
    inside: list[dict[str, Any]] = []
    for value in document.values():
        items = value if isinstance(value, list) else [value]
        inside.extend(item for item in items if isinstance(item, dict) and item)
    target: dict[str, Any] = document
    if draw(st.booleans()) and inside:
        target = draw(st.sampled_from(inside))
    key = draw(st.sampled_from(sorted(target)))
    if draw(st.booleans()):
        del target[key]
    else:
        target[key] = draw(ODD)
    return document


def mostly_canonical(
    documents: st.SearchStrategy[JSONObject], odd_in_ten: int = 1
) -> st.SearchStrategy[JSONObject]:
    """`documents` nine times in ten (by default), otherwise one of them bent out of shape."""
    return st.sampled_from(range(10)).flatmap(
        lambda draw: _bent(documents) if draw < odd_in_ten else documents
    )


TASKS: Final = mostly_canonical(canonical_tasks())
EVENTS: Final = mostly_canonical(canonical_events())
