import pytest

from proxy.core.prefer import (
    applied_wait,
    is_task_envelope,
    lifecycle_step,
    parse_prefer,
    poll_delay,
    wait_budget,
)
from proxy.core.tasks import is_settled
from tests.factories import make_task


@pytest.mark.parametrize(
    ("headers", "wait", "others"),
    [
        ([], None, ()),
        (["wait=10"], 10, ()),
        (["WAIT = 7"], 7, ()),
        (['wait="12"'], 12, ()),
        (["respond-async, wait=5"], 5, ("respond-async",)),
        (
            ["handling=lenient", "wait=3;foo=bar", "return=minimal"],
            3,
            ("handling=lenient", "return=minimal"),
        ),
        (["wait=4, wait=9"], 4, ()),
        (["wait=abc, wait=6"], 6, ()),
        (["wait=-1"], None, ()),
        (["wait=1.5"], None, ()),
        (["wait"], None, ()),
        (["wait=١٢"], None, ()),
        ([" , ,"], None, ()),
    ],
)
def test_parse_prefer_finds_a_well_formed_wait_and_keeps_the_rest(
    headers: list[str], wait: int | None, others: tuple[str, ...]
) -> None:
    parsed = parse_prefer(headers)
    assert (parsed.wait, parsed.others) == (wait, others)


def test_the_budget_never_exceeds_the_route_maximum() -> None:
    assert wait_budget(5, 20.0) == 5.0
    assert wait_budget(600, 20.0) == 20.0
    assert applied_wait(20.0) == "wait=20"


def test_poll_delay_follows_retry_after_above_the_floor() -> None:
    assert poll_delay(make_task(retry_after_ms=3000), 0.5, 3.0) == 3.0
    assert poll_delay(make_task(retry_after_ms=100), 0.5, 3.0) == 0.5
    assert poll_delay(make_task(retry_after_ms=None), 0.5, 2.0) == 2.0
    assert poll_delay(make_task(retry_after_ms=True), 0.5, 2.0) == 2.0


def test_task_envelopes_and_settled_states_are_recognised() -> None:
    assert is_task_envelope(make_task())
    assert not is_task_envelope({"id": "bk_1", "title": "kit"})
    assert not is_task_envelope([make_task()])
    assert is_settled(make_task(status="expired"))
    assert not is_settled(make_task(status="canceling"))


def test_lifecycle_steps_only_go_forward_from_queued_to_settled() -> None:
    steps = [
        lifecycle_step(make_task(status=status))
        for status in ("queued", "running", "canceling", "succeeded", "expired")
    ]
    assert steps == [0, 1, 1, 2, 2]
