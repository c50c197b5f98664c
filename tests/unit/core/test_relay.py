import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from proxy.core.relay import (
    RelayTarget,
    check_callback_url,
    seal,
    unseal,
)
from proxy.core.tokens import InvalidToken
from proxy.errors import CallbackRefused

KEY = b"relay-key"


@given(url=st.text(min_size=1), fingerprint=st.none() | st.text(), version=st.text())
def test_a_sealed_target_opens_to_itself(url: str, fingerprint: str | None, version: str) -> None:
    target = RelayTarget(url, fingerprint, version)
    assert unseal(KEY, seal(KEY, target)) == target


@pytest.mark.parametrize(
    "mutate", [lambda t: t[:-1], lambda t: "x" + t, lambda t: t.replace(".", ""), lambda t: ""]
)
def test_an_altered_token_is_refused(mutate: Callable[[str], str]) -> None:
    token = seal(KEY, RelayTarget("https://example.com/hook", None, "2026-04-12"))
    with pytest.raises(InvalidToken):
        unseal(KEY, mutate(token))


def test_a_token_sealed_with_another_key_is_refused() -> None:
    with pytest.raises(InvalidToken):
        unseal(KEY, seal(b"other", RelayTarget("https://example.com/hook", None, "2026-04-12")))


def _signed(payload: bytes) -> str:
    """A token for any payload, signed as the proxy signs: what only a leaked key could make."""
    encoded = base64.urlsafe_b64encode(payload).rstrip(b"=").decode()
    tag = hmac.new(KEY, encoded.encode(), hashlib.sha256).digest()
    return f"{encoded}.{base64.urlsafe_b64encode(tag).rstrip(b'=').decode()}"


@pytest.mark.parametrize(
    "document",
    [
        "not json",
        [],
        {"u": "https://example.com/hook", "v": "2026-04-12"},
        {"u": 7, "f": None, "v": "2026-04-12"},
        {"u": "https://example.com/hook", "f": None, "v": None},
        {"u": "https://example.com/hook", "f": 7, "v": "2026-04-12"},
    ],
)
def test_a_well_signed_token_with_a_malformed_target_is_refused(document: Any) -> None:
    payload = document.encode() if isinstance(document, str) else json.dumps(document).encode()
    well_formed = {"u": "https://a.example", "f": None, "v": "x"}
    assert unseal(KEY, _signed(json.dumps(well_formed).encode())) == RelayTarget(
        "https://a.example", None, "x"
    )
    with pytest.raises(InvalidToken):
        unseal(KEY, _signed(payload))


def test_callback_urls_must_be_https_public_hosts_without_credentials() -> None:
    assert check_callback_url(
        " https://hooks.example.com/x ", allow_http=False, allow_private=False
    ) == ("https://hooks.example.com/x")
    for bad in (
        "http://hooks.example.com",
        "ftp://x",
        "https://",
        "https://u:p@example.com",
        7,
        "",
    ):
        with pytest.raises(CallbackRefused):
            check_callback_url(bad, allow_http=False, allow_private=False)
    for private in (
        "https://127.0.0.1/x",
        "https://localhost/x",
        "https://10.0.0.8/x",
        "https://[::1]/x",
    ):
        with pytest.raises(CallbackRefused):
            check_callback_url(private, allow_http=False, allow_private=False)
        assert check_callback_url(private, allow_http=False, allow_private=True) == private
    assert check_callback_url("http://hooks.example.com", allow_http=True, allow_private=False)
