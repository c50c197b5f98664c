"""A legacy integration's whole task flow, through the real proxy and the sandbox upstream."""

from typing import Any

from tests.fakes.clock import FakeClock
from tests.integration.conftest import AUTH, CANONICAL, LEGACY, ProxyClient
from translations.models.client import JobResponse


async def _json(response: Any) -> Any:
    assert response.headers["Content-Type"].startswith("application/json")
    return await response.json()


async def test_legacy_client_without_version_creates_polls_and_finishes_a_job(
    proxy: ProxyClient, clock: FakeClock
) -> None:
    created = await proxy.post("/v1/tasks", json={"prompt": "A launch deck"}, headers=AUTH)
    assert created.status == 202
    assert created.headers["Moda-Version"] == "2026-04-12"
    job = await _json(created)
    JobResponse.model_validate(job)
    assert (job["status"], job["is_terminal"], job["task"]) == (
        "queued",
        False,
        "A launch deck",
    )
    assert job["job_id"].startswith("task_")

    seen = []
    for _ in range(20):
        clock.advance(job["retry_after_seconds"] or 1)
        polled = await proxy.get(f"/v1/tasks/{job['job_id']}", headers=AUTH)
        assert polled.status == 200
        job = await _json(polled)
        JobResponse.model_validate(job)
        seen.append(job["status"])
        if job["is_terminal"]:
            break
    assert job["status"] == "completed"
    assert "running" in seen
    assert job["canvas_id"].startswith("cvs_")
    assert job["can_export"] is True
    assert job["message"] == "Job completed successfully."
    assert job["retry_after_seconds"] is None


async def test_cancelling_a_running_job_answers_cancelled(
    proxy: ProxyClient, clock: FakeClock
) -> None:
    job = await (await proxy.post("/v1/tasks", json={"prompt": "x"}, headers=LEGACY)).json()
    clock.advance(3)
    cancelled = await proxy.post(f"/v1/tasks/{job['job_id']}/cancel", headers=LEGACY)
    assert cancelled.status == 200
    body = await _json(cancelled)
    JobResponse.model_validate(body)
    assert (body["status"], body["is_terminal"], body["error"]) == (
        "cancelled",
        True,
        None,
    )


async def test_a_slow_cancel_answers_202_running_then_cancelled(
    proxy: ProxyClient, clock: FakeClock
) -> None:
    job = await (
        await proxy.post("/v1/tasks", json={"prompt": "x #slow-cancel"}, headers=LEGACY)
    ).json()
    clock.advance(3)
    accepted = await proxy.post(f"/v1/tasks/{job['job_id']}/cancel", headers=LEGACY)
    assert accepted.status == 202
    body = await _json(accepted)
    assert (body["status"], body["is_terminal"]) == ("running", False)
    assert body["retry_after_seconds"] >= 1
    clock.advance(10)
    final = await (await proxy.get(f"/v1/tasks/{job['job_id']}", headers=LEGACY)).json()
    assert final["status"] == "cancelled"


async def test_failed_and_expired_jobs_both_read_as_failed_with_an_error(
    proxy: ProxyClient, clock: FakeClock
) -> None:
    failing = await (
        await proxy.post("/v1/tasks", json={"prompt": "x #fail"}, headers=LEGACY)
    ).json()
    expiring = await (
        await proxy.post("/v1/tasks", json={"prompt": "y #expire"}, headers=LEGACY)
    ).json()
    clock.advance(3600)
    for job in (failing, expiring):
        final = await (await proxy.get(f"/v1/tasks/{job['job_id']}", headers=LEGACY)).json()
        JobResponse.model_validate(final)
        assert (final["status"], final["is_terminal"]) == ("failed", True)
        assert isinstance(final["error"], str)
        assert final["error"]


async def test_promptless_remix_completes_at_once_with_source_and_new_canvas(
    proxy: ProxyClient,
) -> None:
    canvases = await (await proxy.get("/v1/canvases", headers=CANONICAL)).json()
    source = canvases["data"][0]["id"]
    remixed = await proxy.post("/v1/remix", json={"canvas_id": source}, headers=LEGACY)
    assert remixed.status == 200
    job = await _json(remixed)
    JobResponse.model_validate(job)
    assert (job["status"], job["source_canvas_id"], job["can_export"]) == (
        "completed",
        source,
        True,
    )
    assert job["canvas_id"] != source


async def test_prompted_remix_has_no_canvas_until_it_succeeds(
    proxy: ProxyClient, clock: FakeClock
) -> None:
    canvases = await (await proxy.get("/v1/canvases", headers=CANONICAL)).json()
    source = canvases["data"][0]["id"]
    started = await proxy.post(
        "/v1/remix", json={"canvas_id": source, "prompt": "Warmer"}, headers=LEGACY
    )
    job = await _json(started)
    assert (job["status"], job["canvas_id"]) == ("queued", None)
    clock.advance(3600)
    final = await (await proxy.get(f"/v1/tasks/{job['job_id']}", headers=LEGACY)).json()
    assert final["status"] == "completed"
    assert final["canvas_id"] not in (None, source)
    assert final["source_canvas_id"] == source


async def test_bare_uuids_in_a_legacy_body_reach_the_upstream_prefixed(
    proxy: ProxyClient,
) -> None:
    canvases = await (await proxy.get("/v1/canvases", headers=CANONICAL)).json()
    canvas_id = canvases["data"][0]["id"]
    bare = canvases["data"][0]["url"].rsplit("/", 1)[-1]
    created = await proxy.post(
        "/v1/tasks", json={"prompt": "Edit", "canvas_id": bare}, headers=LEGACY
    )
    assert created.status == 202
    assert (await created.json())["canvas_id"] == canvas_id


async def test_the_same_bare_uuid_from_a_canonical_client_is_refused_by_the_upstream(
    proxy: ProxyClient,
) -> None:
    canvases = await (await proxy.get("/v1/canvases", headers=CANONICAL)).json()
    bare = canvases["data"][0]["url"].rsplit("/", 1)[-1]
    refused = await proxy.post(
        "/v1/tasks", json={"prompt": "Edit", "canvas_id": bare}, headers=CANONICAL
    )
    assert refused.status == 400
    assert (await refused.json())["error"]["code"] == "invalid_id_format"


async def test_upstream_errors_reach_legacy_clients_unchanged(
    proxy: ProxyClient,
) -> None:
    missing = await proxy.get("/v1/tasks/task_00000000000000000000000000", headers=LEGACY)
    assert missing.status == 404
    body = await missing.json()
    assert body["error"]["type"] == "not_found"
    assert missing.headers["X-Request-ID"] == body["error"]["request_id"]
    assert missing.headers["Moda-Version"] == "2026-04-12"
