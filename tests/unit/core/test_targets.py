import pytest

from proxy.core.targets import check_target
from proxy.errors import ClientRequestError, ForbiddenTarget


@pytest.mark.parametrize("path", ["/v1/tasks", "/v1/canvases/cvs_1/export", "//v1/x", "/v1/a..b"])
def test_origin_form_paths_are_forwarded(path: str) -> None:
    check_target("GET", path)


@pytest.mark.parametrize(("method", "path"), [("CONNECT", "/x"), ("GET", "example.com:443")])
def test_tunnels_and_non_origin_targets_are_refused(method: str, path: str) -> None:
    with pytest.raises(ForbiddenTarget):
        check_target(method, path)


@pytest.mark.parametrize("path", ["/v1/../admin", "/v1/%2e%2e/admin", "/v1/./tasks", "/v1/%2E/x"])
def test_dot_segments_are_refused(path: str) -> None:
    with pytest.raises(ClientRequestError) as caught:
        check_target("GET", path)
    assert caught.value.status == 400
