"""The fixed running design Task the fake upstreams answer, and checks of what clients get back."""

import json
import urllib.error
import urllib.request
from typing import Final

from bench.processes import BenchError

TASK_ID: Final = "task_01HT9WK8N3M2J4A5Z6P7Q8R9TV"
TASK_PATH: Final = f"/v1/tasks/{TASK_ID}"
TASK_BODY: Final = (
    '{"id":"task_01HT9WK8N3M2J4A5Z6P7Q8R9TV","kind":"design","status":"running",'
    '"created_at":"2026-04-15T12:00:00+00:00","started_at":"2026-04-15T12:00:02+00:00",'
    '"completed_at":null,"progress":{"percent":40,"step":"drafting",'
    '"message":"Drafting slide 4 of 10"},"attempt":1,"max_attempts":3,'
    '"input":{"prompt":"Create a sales deck for our Q3 launch","format":{"category":"slides"},'
    '"canvas_id":"cvs_3KGFAVNS0Y98V9NKPD5V3VZJ1P"},"result":null,"error":null,"credits":null,'
    '"links":{"self":"/v1/tasks/task_01HT9WK8N3M2J4A5Z6P7Q8R9TV","events":null,'
    '"cancel":"/v1/tasks/task_01HT9WK8N3M2J4A5Z6P7Q8R9TV/cancel","canvas":null},'
    '"retry_after_ms":3000}'
)
AUTHORIZATION: Final = "Bearer moda_live_bench"
LEGACY_VERSION: Final = "2026-04-12"
CANONICAL_VERSION: Final = "2026-05-01"
REQUEST_TIMEOUT_SECONDS: Final = 10.0


def request_headers(version: str) -> dict[str, str]:
    return {"Authorization": AUTHORIZATION, "Moda-Version": version}


def fetch(url: str, version: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=request_headers(version))
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError as exc:
        raise BenchError(f"GET {url} failed: {exc}") from exc


def describe(status: int, body: bytes) -> str:
    return f"HTTP {status}: {body[:600].decode('utf-8', errors='replace')}"


def check_legacy(url: str) -> dict[str, object]:
    """The running legacy JobResponse a 2026-04-12 client gets from `url`; BenchError if not."""
    status, body = fetch(url, LEGACY_VERSION)
    try:
        job = json.loads(body)
    except ValueError:
        job = None
    if (
        status != 200
        or not isinstance(job, dict)
        or "job_id" not in job
        or job.get("status") != "running"
    ):
        raise BenchError(
            "legacy (2026-04-12) response is not a running JobResponse with `job_id`; "
            + describe(status, body)
        )
    return job


def check_canonical(url: str) -> None:
    status, body = fetch(url, CANONICAL_VERSION)
    if status != 200 or body != TASK_BODY.encode():
        raise BenchError(
            "canonical (2026-05-01) response is not the upstream body byte for byte; "
            + describe(status, body)
        )
