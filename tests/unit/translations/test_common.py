"""The converters the changes share: what they pass on, and what they refuse to hand a client."""

import pytest

from translations.common import (
    checked_status,
    count_or_null,
    credits_or_null,
    ms_to_whole_seconds,
    required_text,
    text_or_null,
)


def test_texts_pass_as_they_are_and_anything_else_is_refused() -> None:
    assert (text_or_null("deck"), text_or_null(None)) == ("deck", None)
    with pytest.raises(TypeError, match="expected a string or null, got int"):
        text_or_null(7)


def test_a_task_id_must_be_a_non_empty_string() -> None:
    assert required_text("task_1") == "task_1"
    for refused in ("", None, 7):
        with pytest.raises(TypeError):
            required_text(refused)


def test_credits_keep_integer_counts_and_refuse_other_values() -> None:
    assert credits_or_null(None) is None
    assert credits_or_null({"credits_used": 3, "extra": 1}) == {
        "credits_used": 3,
        "credits_remaining": None,
    }
    for refused in (True, 2.5, "3"):
        with pytest.raises(TypeError, match="a credit count must be an integer or null"):
            count_or_null(refused)


def test_retry_after_is_rounded_up_to_whole_seconds() -> None:
    assert [ms_to_whole_seconds(ms) for ms in (None, 0, 1, 2100, -500)] == [None, 0, 1, 3, 0]
    with pytest.raises(TypeError):
        ms_to_whole_seconds(True)


def test_only_the_statuses_the_contract_knows_pass() -> None:
    assert checked_status("canceling") == "canceling"
    for refused in ("paused", None):
        with pytest.raises(ValueError, match="unknown task status"):
            checked_status(refused)
