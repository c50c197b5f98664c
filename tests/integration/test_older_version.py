"""An older version is one declaration and its change files: a made-up `2026-03-01`, older than
2026-04-12, with its own status words, retirement and client model, served end to end."""

from datetime import UTC, datetime
from typing import Any, Literal

from aiohttp.test_utils import TestClient
from pydantic import BaseModel, ConfigDict
from pytest_aiohttp import AiohttpClient

from proxy.app import create_app
from proxy.core.payload import JSONObject
from proxy.core.versioning import (
    MigrationContext,
    Retirement,
    Version,
    VersionBundle,
    VersionChange,
)
from tests.fakes.clock import FakeClock
from tests.integration.conftest import AUTH, LEGACY, make_settings
from translations import BUNDLE
from translations.common import LIST_TASKS, TASK_ROUTES
from translations.models.client import Credits

OLDEST = {**AUTH, "Moda-Version": "2026-03-01"}


class OldestJob(BaseModel):
    """What a 2026-03-01 client read: its own status words, and no `can_export` yet."""

    model_config = ConfigDict(extra="forbid", strict=True)

    job_id: str
    status: Literal["waiting", "working", "done", "failed", "aborted"]
    canvas_id: str | None
    canvas_url: str | None
    conversation_id: str | None
    message: str
    task: str | None
    progress_percent: int
    current_step: str | None
    error: str | None
    created_at: str | None
    started_at: str | None
    completed_at: str | None
    is_terminal: bool
    retry_after_seconds: int | None
    credits: Credits | None
    source_canvas_id: str | None = None


def without_export_flag(job: JSONObject, context: MigrationContext) -> JSONObject:
    job.pop("can_export", None)
    return job


def without_export_flags(page: JSONObject, context: MigrationContext) -> JSONObject:
    page["jobs"] = [without_export_flag(job, context) for job in page["jobs"]]
    return page


DROP_EXPORT_FLAG = VersionChange(
    name="translations.changes.drop_the_export_flag",
    summary="Jobs do not say whether their canvas can be exported yet.",
    responses={
        **dict.fromkeys(TASK_ROUTES, without_export_flag),
        LIST_TASKS: without_export_flags,
    },
)
OLDEST_RETIREMENT = Retirement(
    deprecated_at=datetime(2026, 4, 12, tzinfo=UTC), sunset_at=datetime(2026, 4, 20, tzinfo=UTC)
)
THREE_VERSIONS = VersionBundle(
    upstream=BUNDLE.upstream,
    older=(
        *BUNDLE.older,
        Version(
            "2026-03-01",
            DROP_EXPORT_FLAG,
            status_words={
                "queued": "waiting",
                "running": "working",
                "succeeded": "done",
                "failed": "failed",
                "canceled": "aborted",
                "expired": "failed",
                "canceling": "working",
            },
            retirement=OLDEST_RETIREMENT,
            models=dict.fromkeys(TASK_ROUTES, OldestJob),
        ),
    ),
    unversioned=BUNDLE.unversioned,
)


async def _start(aiohttp_client: AiohttpClient, clock: FakeClock) -> TestClient[Any, Any]:
    return await aiohttp_client(create_app(make_settings(), bundle=THREE_VERSIONS, clock=clock))


async def test_the_oldest_client_creates_polls_and_finishes_a_job_in_its_own_words(
    aiohttp_client: AiohttpClient, clock: FakeClock
) -> None:
    proxy = await _start(aiohttp_client, clock)
    model = THREE_VERSIONS.terms("2026-03-01").models[TASK_ROUTES[1]]

    created = await proxy.post("/v1/tasks", json={"prompt": "A launch deck"}, headers=OLDEST)
    assert (created.status, created.headers["Moda-Version"]) == (202, "2026-03-01")
    job = model.model_validate(await created.json())
    assert job.status == "waiting"
    seen, answered = [job.status], created
    while not job.is_terminal and len(seen) < 20:
        clock.advance(job.retry_after_seconds or 1)
        answered = await proxy.get(f"/v1/tasks/{job.job_id}", headers=OLDEST)
        job = model.model_validate(await answered.json())
        seen.append(job.status)

    assert (seen[0], seen[-1]) == ("waiting", "done")
    assert "working" in seen
    assert answered.headers["Sunset"] == "Mon, 20 Apr 2026 00:00:00 GMT"
    assert answered.headers["Deprecation"] == f"@{int(OLDEST_RETIREMENT.deprecated_at.timestamp())}"


async def test_the_oldest_clients_filter_word_selects_the_status_it_stands_for(
    aiohttp_client: AiohttpClient, clock: FakeClock
) -> None:
    proxy = await _start(aiohttp_client, clock)

    listed = await proxy.get("/v1/tasks", params={"status": "done", "limit": "50"}, headers=OLDEST)

    jobs = (await listed.json())["jobs"]
    assert listed.status == 200
    assert jobs
    assert {job["status"] for job in jobs} == {"done"}
    assert all("can_export" not in job for job in jobs)


async def test_the_newer_versions_keep_their_own_terms_in_the_same_bundle(
    aiohttp_client: AiohttpClient, clock: FakeClock
) -> None:
    proxy = await _start(aiohttp_client, clock)

    listed = await proxy.get("/v1/tasks", params={"status": "completed"}, headers=LEGACY)

    jobs = (await listed.json())["jobs"]
    assert {job["status"] for job in jobs} == {"completed"}
    assert all(job["can_export"] in {True, False} for job in jobs)
    assert listed.headers["Sunset"] == "Tue, 12 May 2026 00:00:00 GMT"
