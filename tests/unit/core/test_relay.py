from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from proxy.core.relay import (
    InvalidToken,
    RelayTarget,
    check_callback_url,
    seal,
    unseal,
)
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
