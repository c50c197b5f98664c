"""Route labels: bounded to known templates, and covering every route a translation touches."""

from proxy.core.engine import plan_version
from proxy.server.route_labels import route_label
from translations import BUNDLE
from translations.prefer_wait import WAIT_ROUTES


def test_every_route_a_translation_or_wait_names_has_a_label_in_every_version() -> None:
    named = {
        route
        for version in BUNDLE.supported
        for route in plan_version(BUNDLE, version).routes.routes
    }
    for route in named | set(WAIT_ROUTES.held.routes):
        path = route.template.replace("{id}", "abc123")
        assert route_label(route.method, path) == str(route)


def test_ids_and_unknown_paths_never_become_labels() -> None:
    assert route_label("GET", "/v1/canvases/cvs_1/pages") == "GET /v1/canvases/{id}/pages"
    assert route_label("GET", "/v1/canvases/search") == "GET /v1/canvases/search"
    assert route_label("GET", "/v1/tasks/task_1/secret") == "unmatched"
    assert route_label("PUT", "/v1/tasks") == "unmatched"
