import pytest

from proxy.core.expiry import EXPIRY_EVENT, Verdict, expiry_event, expiry_event_id, read_verdict
from proxy.core.ids import is_prefixed_id
from tests.factories import make_task


@pytest.mark.parametrize(
    ("status", "task", "verdict"),
    [
        (200, {"status": "expired"}, Verdict.NOTIFY),
        (200, {"status": "queued"}, Verdict.KEEP),
        (200, {"status": "running"}, Verdict.KEEP),
        (200, {"status": "canceling"}, Verdict.KEEP),
        (200, {"status": "succeeded"}, Verdict.END),
        (200, {"status": "failed"}, Verdict.END),
        (200, {"status": "canceled"}, Verdict.END),
        (401, None, Verdict.END),
        (403, None, Verdict.END),
        (404, None, Verdict.END),
        (429, None, Verdict.KEEP),
        (503, None, Verdict.KEEP),
        (200, None, Verdict.KEEP),
        (200, ["not", "a", "task"], Verdict.KEEP),
    ],
)
def test_a_read_keeps_ends_or_notifies(status: int, task: object, verdict: Verdict) -> None:
    assert read_verdict(status, task) is verdict


def test_the_event_id_is_one_valid_moda_id_per_task() -> None:
    first = expiry_event_id("task_01HT9WK8N3M2J4A5Z6P7Q8R9TV")
    assert first == expiry_event_id("task_01HT9WK8N3M2J4A5Z6P7Q8R9TV")
    assert first != expiry_event_id("task_01HT9WK8N3M2J4A5Z6P7Q8R9TW")
    assert is_prefixed_id(first, "evt")


def test_the_event_carries_the_expired_task_as_an_upstream_event_would() -> None:
    task = make_task(status="expired")
    event = expiry_event(task, "2026-11-01T12:00:10+00:00", "2026-05-01")
    assert event == {
        "id": expiry_event_id(task["id"]),
        "type": EXPIRY_EVENT,
        "created": "2026-11-01T12:00:10+00:00",
        "api_version": "2026-05-01",
        "data": task,
    }
