from proxy.core.routes import Route, RouteTable

GET_TASK = Route("GET", "/v1/tasks/{id}")
CANCEL = Route("POST", "/v1/tasks/{id}/cancel")
SEARCH = Route("GET", "/v1/canvases/search")
GET_CANVAS = Route("GET", "/v1/canvases/{id}")
TABLE = RouteTable.of([GET_TASK, CANCEL, GET_CANVAS, SEARCH])


def test_match_binds_placeholders() -> None:
    match = TABLE.match("POST", "/v1/tasks/task_01HT9WK8N3M2J4A5Z6P7Q8R9TV/cancel")
    assert match is not None
    assert match.route == CANCEL
    assert match.params == {"id": "task_01HT9WK8N3M2J4A5Z6P7Q8R9TV"}


def test_match_prefers_literal_segments_over_placeholders() -> None:
    match = TABLE.match("GET", "/v1/canvases/search")
    assert match is not None
    assert match.route == SEARCH


def test_match_is_none_for_other_methods_lengths_and_empty_segments() -> None:
    assert TABLE.match("DELETE", "/v1/tasks/task_1") is None
    assert TABLE.match("GET", "/v1/tasks/task_1/extra") is None
    assert TABLE.match("GET", "/v1/tasks//") is None
    assert TABLE.match("POST", "/v1/tasks//cancel") is None
    assert TABLE.match("GET", "/v2/tasks/task_1") is None


def test_route_renders_as_method_and_template() -> None:
    assert str(GET_TASK) == "GET /v1/tasks/{id}"


def test_a_placeholder_in_the_collection_segment_matches_beside_literal_collections() -> None:
    # Routes are indexed by their second segment (`tasks`); a template with a placeholder there
    # must still be tried, after the literal ones, for any collection.
    by_team = Route("GET", "/v1/{team}/members")
    table = RouteTable.of([GET_TASK, Route("GET", "/v1/tasks/members"), by_team])
    literal = table.match("GET", "/v1/tasks/members")
    assert literal is not None
    assert literal.route == Route("GET", "/v1/tasks/members")
    other = table.match("GET", "/v1/team_1/members")
    assert other is not None
    assert (other.route, other.params) == (by_team, {"team": "team_1"})
    task = table.match("GET", "/v1/tasks/task_1")
    assert task is not None
    assert task.route == GET_TASK
    assert table.match("GET", "/v1/team_1/owners") is None


def test_a_one_segment_route_has_no_collection_to_index_by() -> None:
    status = Route("GET", "/status")
    table = RouteTable.of([status, GET_TASK])
    match = table.match("GET", "/status")
    assert match is not None
    assert match.route == status
    assert table.match("GET", "/other") is None
