"""A pre-versioning client on `/v1/jobs`, through the real proxy and the sandbox upstream.

Written from what such a client does (`moda-api.md` §9): it sends no `Moda-Version`, starts a job
with `{prompt, canvas_name}`, polls `GET /v1/jobs/{id}` until `status` is `completed` or `failed`,
reads `id` or `job_id`, then `canvas_id` and `canvas_url`, and on an error prints `detail`.
"""

import uuid
from typing import Any

from tests.fakes.clock import FakeClock
from tests.integration.conftest import AUTH, CANONICAL, LEGACY, ProxyClient, ProxyFactory

TERMINAL = {"completed", "failed"}
# The client's own status union: nothing else may ever reach it.
CLIENT_STATUSES = {"pending", "processing", "running", "queued", "completed", "failed", "cancelled"}


def _job_id(job: dict[str, Any]) -> str:
    value = job.get("id") or job.get("job_id")
    assert isinstance(value, str)
    return value


async def _start(proxy: ProxyClient, prompt: str) -> dict[str, Any]:
    started = await proxy.post(
        "/v1/jobs", json={"prompt": prompt, "canvas_name": "Spring ads"}, headers=AUTH
    )
    assert started.status < 300, await started.text()
    job: dict[str, Any] = await started.json()
    return job


async def _poll_until_terminal(
    proxy: ProxyClient, clock: FakeClock, job: dict[str, Any]
) -> dict[str, Any]:
    for _ in range(30):
        assert job["status"] in CLIENT_STATUSES
        if job["status"] in TERMINAL:
            return job
        clock.advance(job["retry_after_seconds"] or 1)
        polled = await proxy.get(f"/v1/jobs/{_job_id(job)}", headers=AUTH)
        assert polled.status == 200
        job = await polled.json()
    raise AssertionError(f"job never finished: {job}")


async def test_a_job_is_created_polled_to_completion_and_names_its_canvas(
    proxy: ProxyClient, clock: FakeClock
) -> None:
    job = await _start(proxy, "Three ad variants for a spring sale")
    uuid.UUID(_job_id(job))  # a bare UUID, as the job routes always gave
    assert job["status"] == "queued"
    assert job["task"] == "Three ad variants for a spring sale"

    final = await _poll_until_terminal(proxy, clock, job)

    assert final["status"] == "completed"
    assert final["job_id"] == _job_id(job)
    uuid.UUID(final["canvas_id"])
    assert final["canvas_url"].endswith(final["canvas_id"])
    assert final["error"] is None
    canonical = await proxy.get(f"/v1/tasks/{final['job_id']}", headers=CANONICAL)
    assert (await canonical.json())["result"]["canvas_id"].startswith("cvs_")


async def test_a_failing_job_ends_failed_with_its_reason_in_error(
    proxy: ProxyClient, clock: FakeClock
) -> None:
    final = await _poll_until_terminal(proxy, clock, await _start(proxy, "An ad #fail"))
    assert final["status"] == "failed"
    assert isinstance(final["error"], str)
    assert final["error"]
    assert final["canvas_url"] is None


async def test_an_expired_job_ends_failed_telling_the_client_to_start_again(
    proxy: ProxyClient, clock: FakeClock
) -> None:
    final = await _poll_until_terminal(proxy, clock, await _start(proxy, "An ad #expire"))
    assert final["status"] == "failed"
    assert "expired" in final["error"]
    assert final["is_terminal"] is True
    assert final["retry_after_seconds"] is None


async def test_a_request_without_prompt_shows_a_readable_detail(proxy: ProxyClient) -> None:
    response = await proxy.post("/v1/jobs", json={"canvas_name": "No prompt"}, headers=AUTH)
    assert response.status == 422
    body = await response.json()
    assert body["error"]["code"] == "validation_failed"
    assert body["detail"].startswith(body["error"]["message"])
    assert "body.prompt" in body["detail"]


async def test_a_body_that_is_not_json_shows_a_detail_from_the_proxy(
    proxy: ProxyClient,
) -> None:
    response = await proxy.post(
        "/v1/jobs", data=b"{not json", headers={**AUTH, "Content-Type": "application/json"}
    )
    assert response.status == 400
    body = await response.json()
    assert body["detail"] == body["error"]["message"] == "The request body is not valid JSON."


async def test_an_unknown_job_is_a_404_with_detail(proxy: ProxyClient) -> None:
    response = await proxy.get(f"/v1/jobs/{uuid.uuid4()}", headers=AUTH)
    assert response.status == 404
    body = await response.json()
    assert body["detail"] == body["error"]["message"]


async def test_the_job_list_is_newest_first_bounded_and_filtered(
    proxy: ProxyClient, clock: FakeClock
) -> None:
    first = await _start(proxy, "first")
    clock.advance(1)  # `created_at` orders the list; ids only break ties
    second = await _start(proxy, "second")
    listed = await (await proxy.get("/v1/jobs", headers=AUTH)).json()
    ids = [job["job_id"] for job in listed["jobs"]]
    assert ids[:2] == [second["job_id"], first["job_id"]]
    assert listed["limit"] == 10

    clock.advance(3600)
    completed = await (await proxy.get("/v1/jobs?status=completed", headers=AUTH)).json()
    assert {job["status"] for job in completed["jobs"]} == {"completed"}

    refused = await proxy.get("/v1/jobs?limit=51", headers=AUTH)
    assert refused.status == 400
    assert "limit" in (await refused.json())["detail"]


async def test_the_list_filters_by_a_bare_canvas_uuid(proxy: ProxyClient, clock: FakeClock) -> None:
    clock.advance(3600)
    jobs = (await (await proxy.get("/v1/jobs?limit=50", headers=AUTH)).json())["jobs"]
    canvas = next(job["canvas_id"] for job in jobs if job["canvas_id"])
    filtered = await (await proxy.get(f"/v1/jobs?canvas_id={canvas}", headers=AUTH)).json()
    assert filtered["jobs"]
    assert {job["canvas_id"] for job in filtered["jobs"]} == {canvas}


async def test_a_client_naming_a_version_is_not_served_the_job_routes(
    proxy: ProxyClient,
) -> None:
    response = await proxy.get("/v1/jobs", headers=LEGACY)
    assert response.status == 404
    assert "detail" not in await response.json()


async def test_the_job_routes_pass_through_when_switched_off(start_proxy: ProxyFactory) -> None:
    proxy = await start_proxy(versions={"serve_jobs_routes": False})
    response = await proxy.post("/v1/jobs", json={"prompt": "p"}, headers=AUTH)
    assert response.status == 404
    assert "detail" not in await response.json()
