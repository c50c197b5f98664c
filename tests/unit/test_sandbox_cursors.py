"""The sandbox's signed pagination cursors: round trips, and every way a cursor goes bad."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from proxy.sandbox.cursors import (
    InvalidCursorError,
    SortKey,
    cursor_scope,
    decode_cursor,
    encode_cursor,
)

SECRET = "unit-test-secret"
SCOPE = cursor_scope("credential-a", "/v1/canvases", {})
POSITION = SortKey("2026-04-30T23:59:00.000000+00:00", "cvs_6CSKAA0EJN82GBYFYNNXD3H8F2")

texts = st.text(min_size=0, max_size=40)


def _decode(token: str, *, scope: str = SCOPE, now: float = 10.0, ttl: float = 60.0) -> SortKey:
    return decode_cursor(secret=SECRET, token=token, scope=scope, now=now, ttl=ttl)


def _encode(position: SortKey = POSITION, *, scope: str = SCOPE, issued_at: float = 0.0) -> str:
    return encode_cursor(secret=SECRET, scope=scope, position=position, issued_at=issued_at)


@given(created_at=texts, item_id=texts, issued_at=st.floats(-1e6, 1e6))
def test_a_cursor_decodes_to_the_position_it_was_made_from(
    created_at: str, item_id: str, issued_at: float
) -> None:
    position = SortKey(created_at, item_id)
    token = _encode(position, issued_at=issued_at)

    assert _decode(token, now=issued_at) == position


@given(index=st.integers(min_value=0), replacement=st.sampled_from("AQw_-.=x0"))
def test_changing_any_character_invalidates_the_cursor(index: int, replacement: str) -> None:
    token = _encode()
    index %= len(token)
    tampered = token[:index] + replacement + token[index + 1 :]
    if tampered == token:
        return

    with pytest.raises(InvalidCursorError):
        _decode(tampered)


@given(garbage=st.text(max_size=200))
def test_arbitrary_text_is_rejected_not_crashed_on(garbage: str) -> None:
    with pytest.raises(InvalidCursorError):
        _decode(garbage)


def test_a_cursor_cannot_be_reused_by_another_credential_list_or_filter() -> None:
    token = _encode()
    others = [
        cursor_scope("credential-b", "/v1/canvases", {}),
        cursor_scope("credential-a", "/v1/brand-kits", {}),
        cursor_scope("credential-a", "/v1/canvases", {"query": "deck"}),
    ]

    for scope in others:
        with pytest.raises(InvalidCursorError, match="another list"):
            _decode(token, scope=scope)


def test_a_cursor_signed_with_another_secret_is_rejected() -> None:
    forged = encode_cursor(secret="other", scope=SCOPE, position=POSITION, issued_at=0.0)

    with pytest.raises(InvalidCursorError, match="signature"):
        _decode(forged)


def test_a_cursor_expires_after_its_ttl() -> None:
    token = _encode(issued_at=100.0)

    assert _decode(token, now=160.0, ttl=60.0) == POSITION
    with pytest.raises(InvalidCursorError, match="expired"):
        _decode(token, now=160.5, ttl=60.0)


def test_filter_order_does_not_change_the_scope() -> None:
    assert cursor_scope("c", "/v1/tasks", {"status": "queued", "canvas_id": "x"}) == cursor_scope(
        "c", "/v1/tasks", {"canvas_id": "x", "status": "queued"}
    )


def test_cursors_are_url_safe() -> None:
    token = _encode()

    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
