from proxy.core.tasks import PUBLISHED_STATUSES, TASK_STATUSES, TERMINAL_STATUSES, is_settled
from tests.factories import make_task


def test_the_published_enum_is_two_live_statuses_and_the_terminal_ones() -> None:
    assert {"queued", "running"} == PUBLISHED_STATUSES - TERMINAL_STATUSES


def test_canceling_is_a_task_status_but_not_a_published_or_terminal_one() -> None:
    assert {"canceling"} == TASK_STATUSES - PUBLISHED_STATUSES
    assert not is_settled(make_task(status="canceling"))


def test_every_terminal_status_settles_a_task() -> None:
    assert all(is_settled(make_task(status=status)) for status in TERMINAL_STATUSES)
    assert not is_settled(make_task(status="running"))
