"""Signed tokens: what is signed opens to itself, and nothing else opens at all."""

import base64
import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from proxy.core.tokens import InvalidToken, open_document, sign_document

KEY = b"token-key"
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)


@given(document=json_values)
def test_a_signed_document_opens_to_itself(document: object) -> None:
    assert open_document(KEY, sign_document(KEY, document)) == document


@given(index=st.integers(min_value=0), replacement=st.sampled_from("AQw_-.=x0é"))
def test_changing_any_character_of_a_token_breaks_it(index: int, replacement: str) -> None:
    token = sign_document(KEY, {"u": "https://example.com/hook"})
    index %= len(token)
    tampered = token[:index] + replacement + token[index + 1 :]
    if tampered == token:
        return
    with pytest.raises(InvalidToken):
        open_document(KEY, tampered)


@given(garbage=st.text(max_size=200))
def test_arbitrary_text_is_refused_not_crashed_on(garbage: str) -> None:
    with pytest.raises(InvalidToken):
        open_document(KEY, garbage)


def test_a_token_signed_with_another_key_is_refused() -> None:
    with pytest.raises(InvalidToken):
        open_document(KEY, sign_document(b"other", {"a": 1}))


def test_a_well_signed_payload_that_is_not_json_is_refused() -> None:
    payload = base64.urlsafe_b64encode(b"\xffnot json").rstrip(b"=").decode()
    tag = hmac.new(KEY, payload.encode(), hashlib.sha256).digest()
    token = f"{payload}.{base64.urlsafe_b64encode(tag).rstrip(b'=').decode()}"
    with pytest.raises(InvalidToken):
        open_document(KEY, token)


def test_tokens_are_url_safe() -> None:
    token = sign_document(KEY, {"u": "https://example.com/hook?a=b&c=d", "f": None})
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
    assert set(token) <= set(alphabet)
