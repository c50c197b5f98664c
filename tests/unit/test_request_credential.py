"""A request's credential fingerprint is hashed once, however many parts of the proxy ask."""

import pytest
from aiohttp.test_utils import make_mocked_request

from proxy.core.credentials import credential_fingerprint
from proxy.server import credential


def test_the_fingerprint_is_computed_once_per_request(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str | None] = []

    def counting(authorization: str | None) -> str | None:
        calls.append(authorization)
        return credential_fingerprint(authorization)

    monkeypatch.setattr(credential, "credential_fingerprint", counting)
    request = make_mocked_request("GET", "/v1/tasks", headers={"Authorization": "Bearer k"})
    first = credential.request_credential(request)
    assert credential.request_credential(request) == first == credential_fingerprint("Bearer k")
    assert calls == ["Bearer k"]


def test_a_request_without_a_credential_has_no_fingerprint_and_is_not_hashed_again() -> None:
    request = make_mocked_request("GET", "/v1/tasks")
    assert credential.request_credential(request) is None
    assert credential.request_credential(request) is None
