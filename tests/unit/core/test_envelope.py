"""Moda's error envelope and what the proxy and the sandbox both say about HTTP failures."""

import pytest

from proxy.core.envelope import error_body, http_error_codes, is_sane_request_id


def test_the_envelope_carries_every_member_moda_names() -> None:
    body = error_body(type_="not_found", code="not_found", message="Gone.", request_id="r-1")
    assert body == {
        "error": {
            "type": "not_found",
            "code": "not_found",
            "message": "Gone.",
            "request_id": "r-1",
            "details": None,
        }
    }


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (404, ("not_found", "not_found")),
        (405, ("invalid_request", "method_not_allowed")),
        (413, ("invalid_request", "request_too_large")),
        (431, ("invalid_request", "request_header_fields_too_large")),
        (400, ("invalid_request", "invalid_request")),
    ],
)
def test_http_failures_get_modas_type_and_code(status: int, words: tuple[str, str]) -> None:
    assert http_error_codes(status) == words


@pytest.mark.parametrize("value", ["trace-42", "019d8996-16b3-73ee", "a.b_c:d", "x" * 128])
def test_ids_of_the_conservative_alphabet_are_kept(value: str) -> None:
    assert is_sane_request_id(value)


@pytest.mark.parametrize("value", ["", "x" * 129, "a b", "a!b", "a\nb", "id\n", "é"])
def test_other_ids_are_not(value: str) -> None:
    assert not is_sane_request_id(value)
