"""The sandbox, driven over HTTP: a faithful in-memory Moda API at version 2026-05-01."""

import asyncio
import hashlib
import hmac
import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpServer

from proxy.core.ids import uuid_from_prefixed
from proxy.sandbox.app import SANDBOX_STATE
from tests.fakes.clock import FakeClock
from tests.fakes.sandbox_client import Client, ClientFactory, caller

TOKEN = "moda_test_alpha"
OTHER_TOKEN = "moda_live_beta"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
OTHER_AUTH = {"Authorization": f"Bearer {OTHER_TOKEN}"}
START = FakeClock().wall()  # every FakeClock starts at the same instant
TERMINAL = {"succeeded", "failed", "canceled", "expired"}

call = caller(TOKEN)


@pytest.fixture
async def sandbox(make_sandbox: ClientFactory) -> Client:
    return await make_sandbox()


async def start_task(client: Client, prompt: str = "A sales deck", **extra: Any) -> Any:
    status, task = await call(client, "POST", "/v1/tasks", {"prompt": prompt, **extra})
    assert status == 202, task
    return task


async def first_canvas(client: Client, auth: dict[str, str] = AUTH) -> Any:
    status, page = await call(client, "GET", "/v1/canvases?limit=1", headers=auth)
    assert status == 200
    return page["data"][0]


def iso_at(seconds_after_start: float) -> str:
    return (START + timedelta(seconds=seconds_after_start)).isoformat(timespec="microseconds")


# --- auth, versions, headers ------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer ", "Bearer sk_live_123", "Basic moda_test_abc", "Bearer moda_"],
)
async def test_requests_without_a_moda_bearer_token_are_401(
    sandbox: Client, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}

    response = await sandbox.get("/v1/canvases", headers=headers)

    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    error = (await response.json())["error"]
    assert (error["type"], error["code"]) == ("authentication", "authentication")


@pytest.mark.parametrize("version", ["2026-04-12", "garbage"])
async def test_versions_other_than_2026_05_01_are_rejected(sandbox: Client, version: str) -> None:
    response = await sandbox.get("/v1/canvases", headers={**AUTH, "Moda-Version": version})

    body = await response.json()
    assert response.status == 400
    assert response.headers["Moda-Version"] == "2026-05-01"
    assert body["error"] == {
        "type": "invalid_request",
        "code": "unsupported_version",
        "message": f"Moda-Version '{version}' is not supported. Supported versions: 2026-05-01.",
        "details": {"requested": version, "supported": ["2026-05-01"]},
        "request_id": response.headers["X-Request-ID"],
    }


async def test_pinned_and_unpinned_requests_are_served_2026_05_01(sandbox: Client) -> None:
    pinned = await sandbox.get("/v1/credits", headers={**AUTH, "Moda-Version": "2026-05-01"})
    unpinned = await sandbox.get("/v1/credits", headers=AUTH)

    assert pinned.status == unpinned.status == 200
    assert pinned.headers["Moda-Version"] == unpinned.headers["Moda-Version"] == "2026-05-01"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/v1/whoami", 200), ("GET", "/v1/nothing-here", 404), ("DELETE", "/v1/tasks", 405)],
)
async def test_every_response_carries_the_version_and_a_request_id(
    sandbox: Client, method: str, path: str, status: int
) -> None:
    response = await sandbox.request(method, path, headers=AUTH)

    assert response.status == status
    assert response.headers["Moda-Version"] == "2026-05-01"
    request_id = response.headers["X-Request-ID"]
    assert str(uuid.UUID(request_id)) == request_id
    if status >= 400:
        assert (await response.json())["error"]["request_id"] == request_id


async def test_a_given_request_id_is_echoed(sandbox: Client) -> None:
    given = {"X-Request-ID": "trace-42"}

    ok = await sandbox.get("/v1/whoami", headers={**AUTH, **given})
    failed = await sandbox.get(
        "/v1/tasks/task_00000000000000000000000000", headers={**AUTH, **given}
    )

    assert ok.headers["X-Request-ID"] == failed.headers["X-Request-ID"] == "trace-42"
    assert (await failed.json())["error"]["request_id"] == "trace-42"


@pytest.mark.parametrize("given", ["trace 42", "trace!42", "x" * 129, ""])
async def test_a_request_id_the_proxy_would_not_forward_is_replaced(
    sandbox: Client, given: str
) -> None:
    response = await sandbox.get("/v1/whoami", headers={**AUTH, "X-Request-ID": given})

    made_up = response.headers["X-Request-ID"]
    assert str(uuid.UUID(made_up)) == made_up


async def test_routing_errors_use_modas_envelope(sandbox: Client) -> None:
    missing = await sandbox.get("/v1/nothing-here", headers=AUTH)
    wrong_method = await sandbox.delete("/v1/tasks", headers=AUTH)

    assert (await missing.json())["error"]["type"] == "not_found"
    error = (await wrong_method.json())["error"]
    assert (error["type"], error["code"]) == ("invalid_request", "method_not_allowed")


# --- task lifecycle -----------------------------------------------------------------------


async def test_a_design_task_runs_its_whole_lifecycle_on_the_clock(
    sandbox: Client, sandbox_clock: FakeClock
) -> None:
    task = await start_task(sandbox, format={"category": "slides"})
    assert set(task) == {
        "id", "kind", "status", "created_at", "started_at", "completed_at", "progress",
        "attempt", "max_attempts", "input", "result", "error", "credits", "links",
        "retry_after_ms",
    }  # fmt: skip
    assert task["status"] == "queued"
    assert task["id"].startswith("task_")
    assert (task["kind"], task["created_at"], task["started_at"]) == ("design", iso_at(0), None)
    assert task["input"] == {"prompt": "A sales deck", "format": {"category": "slides"}}
    assert task["retry_after_ms"] == 2000  # the queue ends before the usual 3 s hint
    assert task["links"] == {
        "self": f"/v1/tasks/{task['id']}",
        "events": None,
        "cancel": f"/v1/tasks/{task['id']}/cancel",
        "canvas": None,
    }

    sandbox_clock.advance(2.0)
    _, running = await call(sandbox, "GET", f"/v1/tasks/{task['id']}")
    assert running["status"] == "running"
    assert running["started_at"] == iso_at(2)
    assert running["progress"]["percent"] == 0
    assert running["progress"]["step"] == "planning"
    assert running["progress"]["message"]
    assert running["retry_after_ms"] == 3000

    sandbox_clock.advance(4.0)
    _, halfway = await call(sandbox, "GET", f"/v1/tasks/{task['id']}")
    assert (halfway["progress"]["percent"], halfway["progress"]["step"]) == (50, "drafting")

    sandbox_clock.advance(3.95)
    _, nearly = await call(sandbox, "GET", f"/v1/tasks/{task['id']}")
    assert nearly["status"] == "running"
    assert nearly["retry_after_ms"] == 100

    sandbox_clock.advance(0.05)
    status, done = await call(sandbox, "GET", f"/v1/tasks/{task['id']}")
    assert status == 200
    assert done["status"] == "succeeded"
    assert done["completed_at"] == iso_at(10)
    assert (done["progress"], done["error"], done["retry_after_ms"]) == (None, None, None)
    assert done["links"]["cancel"] is None
    result = done["result"]
    assert result["conversation_id"].startswith("conv_")
    canvas_uuid = uuid_from_prefixed(result["canvas_id"])
    assert result["canvas_url"] == f"https://moda.app/canvas/{canvas_uuid}"
    assert done["links"]["canvas"] == result["canvas_url"]
    assert done["credits"]["credits_used"] == 5
    _, credits = await call(sandbox, "GET", "/v1/credits")
    assert done["credits"]["credits_remaining"] == credits["credits_remaining"]

    status, canvas = await call(sandbox, "GET", f"/v1/canvases/{result['canvas_id']}")
    assert status == 200
    assert (canvas["name"], canvas["created_at"]) == ("A sales deck", iso_at(10))
    assert canvas == await first_canvas(sandbox)


@pytest.mark.parametrize(("tag", "retryable"), [("#fail", True), ("#dead", False), ("#FAIL", True)])
async def test_failure_tags_fail_the_task_at_the_end_of_running(
    sandbox: Client, sandbox_clock: FakeClock, tag: str, retryable: bool
) -> None:
    task = await start_task(sandbox, f"A poster {tag}")

    sandbox_clock.advance(9.9)
    _, running = await call(sandbox, "GET", f"/v1/tasks/{task['id']}")
    sandbox_clock.advance(0.1)
    _, failed = await call(sandbox, "GET", f"/v1/tasks/{task['id']}")

    assert running["status"] == "running"
    assert failed["status"] == "failed"
    assert failed["error"]["retryable"] is retryable
    assert failed["error"]["message"]
    assert (failed["result"], failed["credits"], failed["retry_after_ms"]) == (None, None, None)
    assert (failed["attempt"], failed["max_attempts"]) == (1, 3)


async def test_expire_tag_keeps_the_task_queued_then_expires_it(
    sandbox: Client, sandbox_clock: FakeClock
) -> None:
    task = await start_task(sandbox, "A flyer #expire")

    sandbox_clock.advance(6.0)
    _, waiting = await call(sandbox, "GET", f"/v1/tasks/{task['id']}")
    sandbox_clock.advance(4.0)
    _, expired = await call(sandbox, "GET", f"/v1/tasks/{task['id']}")

    assert (waiting["status"], waiting["started_at"], waiting["progress"]) == ("queued", None, None)
    assert expired["status"] == "expired"
    assert expired["started_at"] is None
    assert expired["completed_at"] == iso_at(10)
    assert "expired in the queue" in expired["error"]["message"]


async def test_cancelling_a_queued_task_is_immediate_and_final(
    sandbox: Client, sandbox_clock: FakeClock
) -> None:
    task = await start_task(sandbox)
    sandbox_clock.advance(1.0)

    status, canceled = await call(sandbox, "POST", f"/v1/tasks/{task['id']}/cancel")
    again_status, again = await call(sandbox, "POST", f"/v1/tasks/{task['id']}/cancel")
    sandbox_clock.advance(20.0)
    _, later = await call(sandbox, "GET", f"/v1/tasks/{task['id']}")

    assert status == 200
    assert canceled["status"] == "canceled"
    assert (canceled["started_at"], canceled["completed_at"]) == (None, iso_at(1))
    assert canceled["links"]["cancel"] is None
    assert later["status"] == "canceled"
    assert again_status == 409
    assert (again["error"]["type"], again["error"]["code"]) == ("conflict", "task_not_cancelable")


async def test_cancelling_a_running_task_answers_200_canceled(
    sandbox: Client, sandbox_clock: FakeClock
) -> None:
    task = await start_task(sandbox)
    sandbox_clock.advance(5.0)

    status, canceled = await call(sandbox, "POST", f"/v1/tasks/{task['id']}/cancel")

    assert (status, canceled["status"]) == (200, "canceled")
    assert (canceled["started_at"], canceled["completed_at"]) == (iso_at(2), iso_at(5))


async def test_slow_cancel_answers_202_canceling_then_becomes_canceled(
    sandbox: Client, sandbox_clock: FakeClock
) -> None:
    task = await start_task(sandbox, "A banner #slow-cancel")
    sandbox_clock.advance(8.0)

    status, canceling = await call(sandbox, "POST", f"/v1/tasks/{task['id']}/cancel")
    sandbox_clock.advance(2.5)
    _, still = await call(sandbox, "GET", f"/v1/tasks/{task['id']}")
    sandbox_clock.advance(0.5)
    _, canceled = await call(sandbox, "GET", f"/v1/tasks/{task['id']}")

    assert (status, canceling["status"]) == (202, "canceling")
    assert canceling["retry_after_ms"] == 3000
    assert still["status"] == "canceling"  # it does not succeed while winding down
    assert still["retry_after_ms"] == 500
    assert canceled["status"] == "canceled"
    assert canceled["completed_at"] == iso_at(11)


async def test_cancelling_an_unknown_task_is_404(sandbox: Client) -> None:
    status, body = await call(sandbox, "POST", "/v1/tasks/task_00000000000000000000000000/cancel")

    assert (status, body["error"]["type"]) == (404, "not_found")


# --- remix, brand kits --------------------------------------------------------------------


async def test_a_promptless_remix_is_a_synchronous_copy_with_a_synthetic_id(
    sandbox: Client,
) -> None:
    source = await first_canvas(sandbox)

    status, task = await call(sandbox, "POST", "/v1/remix", {"canvas_id": source["id"]})
    lookup_status, _ = await call(sandbox, "GET", f"/v1/tasks/{task['id']}")

    assert status == 200
    assert (task["kind"], task["status"], task["retry_after_ms"]) == ("remix", "succeeded", None)
    assert task["id"].startswith("task_")
    assert task["result"]["source_canvas_id"] == source["id"]
    assert task["links"]["cancel"] is None
    assert lookup_status == 404
    _, copy = await call(sandbox, "GET", f"/v1/canvases/{task['result']['canvas_id']}")
    assert copy["name"] == source["name"]
    assert copy["id"] != source["id"]


async def test_a_prompted_remix_is_an_async_task(sandbox: Client, sandbox_clock: FakeClock) -> None:
    source = await first_canvas(sandbox)
    body = {"canvas_id": source["id"], "prompt": "Make it blue", "new_name": "Blue"}

    status, task = await call(sandbox, "POST", "/v1/remix", body)
    sandbox_clock.advance(10.0)
    _, done = await call(sandbox, "GET", f"/v1/tasks/{task['id']}")

    assert (status, task["status"], task["kind"]) == (202, "queued", "remix")
    assert task["input"] == body
    assert done["status"] == "succeeded"
    assert done["result"]["source_canvas_id"] == source["id"]
    assert (await first_canvas(sandbox))["name"] == "Blue"


async def test_remixing_a_canvas_of_another_account_is_404(sandbox: Client) -> None:
    foreign = await first_canvas(sandbox, OTHER_AUTH)

    status, body = await call(sandbox, "POST", "/v1/remix", {"canvas_id": foreign["id"]})

    assert (status, body["error"]["type"]) == (404, "not_found")


async def test_creating_a_brand_kit_is_an_extraction_task(
    sandbox: Client, sandbox_clock: FakeClock
) -> None:
    status, task = await call(sandbox, "POST", "/v1/brand-kits", {"url": "https://acme.example"})
    sandbox_clock.advance(10.0)
    _, done = await call(sandbox, "GET", f"/v1/tasks/{task['id']}")
    kit_status, kit = await call(sandbox, "GET", f"/v1/brand-kits/{done['result']['brand_kit_id']}")
    insecure_status, insecure = await call(sandbox, "POST", "/v1/brand-kits", {"url": "http://a.b"})

    assert (status, task["kind"], task["input"]) == (
        202,
        "brand_kit_extract",
        {"url": "https://acme.example"},
    )
    assert done["status"] == "succeeded"
    assert (kit_status, kit["company_url"]) == (200, "https://acme.example")
    assert "team_id" not in kit
    assert insecure_status == 422
    assert insecure["error"]["details"]["fields"][0]["field"] == "body.url"


# --- idempotency and the concurrency cap -----------------------------------------------


async def test_an_idempotency_key_replays_the_same_task_or_conflicts(sandbox: Client) -> None:
    body = {"prompt": "Quarterly deck", "idempotency_key": "focustime-v1"}

    first_status, first = await call(sandbox, "POST", "/v1/tasks", body)
    replay_status, replay = await call(sandbox, "POST", "/v1/tasks", dict(reversed(body.items())))
    clash_status, clash = await call(sandbox, "POST", "/v1/tasks", {**body, "prompt": "Other"})
    _, listed = await call(sandbox, "GET", "/v1/tasks?status=queued")

    assert (first_status, replay_status) == (202, 200)
    assert replay["id"] == first["id"]
    assert [task["id"] for task in listed["data"]] == [first["id"]]
    assert clash_status == 409
    assert clash["error"]["type"] == clash["error"]["code"] == "idempotency_conflict"
    assert clash["error"]["message"] == (
        "An existing task is associated with idempotency_key 'focustime-v1' "
        "but with a different request body."
    )


async def test_the_concurrency_cap_answers_429_with_retry_after(
    make_sandbox: ClientFactory, sandbox_clock: FakeClock
) -> None:
    sandbox = await make_sandbox(max_active_tasks=2)
    source = await first_canvas(sandbox)
    await start_task(sandbox)
    await call(sandbox, "POST", "/v1/brand-kits", {"url": "https://acme.example"})
    await start_task(sandbox)

    response = await sandbox.post("/v1/tasks", json={"prompt": "third"}, headers=AUTH)
    remix_status, _ = await call(
        sandbox, "POST", "/v1/remix", {"canvas_id": source["id"], "prompt": "x"}
    )
    list_status, _ = await call(sandbox, "GET", "/v1/tasks")
    other_status, _ = await call(sandbox, "POST", "/v1/tasks", {"prompt": "x"}, OTHER_AUTH)
    sandbox_clock.advance(10.0)
    after_status, _ = await call(sandbox, "POST", "/v1/tasks", {"prompt": "later"})

    body = await response.json()
    assert response.status == 429
    assert response.headers["Retry-After"] == "30"
    assert (body["error"]["type"], body["error"]["code"]) == (
        "rate_limited",
        "concurrency_limit_exceeded",
    )
    assert body["error"]["retry_after_ms"] == 30000
    assert (remix_status, list_status, other_status, after_status) == (429, 200, 202, 202)


# --- lists and cursors ------------------------------------------------------------------


async def walk(client: Client, path: str, limit: int, auth: dict[str, str] = AUTH) -> list[Any]:
    items: list[Any] = []
    cursor: str | None = None
    separator = "&" if "?" in path else "?"
    while True:
        query = f"{separator}limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        status, page = await call(client, "GET", path + query, headers=auth)
        assert status == 200, page
        assert set(page) == {"data", "next_cursor", "returned", "has_more", "limit", "total"}
        assert len(page["data"]) == page["returned"] <= limit == page["limit"]
        assert page["has_more"] is (page["next_cursor"] is not None)
        items += page["data"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


async def test_walking_250_canvases_visits_each_once_newest_first(
    make_sandbox: ClientFactory,
) -> None:
    sandbox = await make_sandbox(seed_canvases=0)
    sandbox.app[SANDBOX_STATE].account(TOKEN).add_canvases(250)

    items = await walk(sandbox, "/v1/canvases", limit=7)

    keys = [(item["created_at"], item["id"]) for item in items]
    assert len(keys) == len(set(keys)) == 250
    assert keys == sorted(keys, reverse=True)
    assert len({item["created_at"] for item in items}) < 250  # ties are broken by id


async def test_every_list_walks_to_its_seeded_size(sandbox: Client) -> None:
    sizes = {"/v1/brand-kits": 3, "/v1/organizations": 2, "/v1/events": 60, "/v1/tasks": 25}

    for path, size in sizes.items():
        assert len(await walk(sandbox, path, limit=9)) == size, path


async def test_filters_and_search_narrow_lists(sandbox: Client) -> None:
    failed = await walk(sandbox, "/v1/tasks?status=failed", limit=5)
    canvas = await first_canvas(sandbox)
    word = canvas["name"].split()[0].upper()
    _, search = await call(sandbox, "GET", f"/v1/canvases/search?query={word}&limit=100")
    found = search["canvases"]
    everything = await walk(sandbox, "/v1/canvases", limit=100)
    task = await start_task(sandbox, canvas_id=canvas["id"])
    by_canvas = await walk(sandbox, f"/v1/tasks?canvas_id={canvas['id']}", limit=5)

    assert failed
    assert {task["status"] for task in failed} == {"failed"}
    assert canvas in found
    assert {item["id"] for item in found} == {
        item["id"] for item in everything if word.lower() in item["name"].lower()
    }
    assert task["id"] in {item["id"] for item in by_canvas}
    assert task["links"]["canvas"] == canvas["url"]


async def test_offset_is_ignored_on_cursor_lists(sandbox: Client) -> None:
    _, plain = await call(sandbox, "GET", "/v1/canvases?limit=3")
    _, offset = await call(sandbox, "GET", "/v1/canvases?limit=3&offset=30")

    assert offset["data"] == plain["data"]


@pytest.mark.parametrize("limit", ["0", "101", "ten", "2.5"])
async def test_bad_limits_are_400_naming_the_field(sandbox: Client, limit: str) -> None:
    status, body = await call(sandbox, "GET", f"/v1/canvases?limit={limit}")

    assert (status, body["error"]["type"]) == (400, "invalid_request")
    assert body["error"]["details"]["fields"][0]["field"] == "query.limit"


async def test_an_unknown_status_filter_is_400(sandbox: Client) -> None:
    status, body = await call(sandbox, "GET", "/v1/tasks?status=completed")

    assert (status, body["error"]["type"]) == (400, "invalid_request")


async def test_tampered_foreign_and_expired_cursors_are_400(
    sandbox: Client, sandbox_clock: FakeClock
) -> None:
    _, page = await call(sandbox, "GET", "/v1/canvases?limit=2")
    cursor = page["next_cursor"]
    tampered = cursor[:10] + ("A" if cursor[10] != "A" else "B") + cursor[11:]
    attempts = [
        ("/v1/canvases", tampered, AUTH),
        ("/v1/canvases", cursor, OTHER_AUTH),
        ("/v1/brand-kits", cursor, AUTH),
    ]

    for path, token, auth in attempts:
        status, body = await call(sandbox, "GET", f"{path}?cursor={token}", headers=auth)
        assert (status, body["error"]["code"]) == (400, "invalid_cursor"), path

    sandbox_clock.advance(3601.0)
    status, body = await call(sandbox, "GET", f"/v1/canvases?cursor={cursor}")
    assert (status, body["error"]["code"]) == (400, "invalid_cursor")


async def test_two_tokens_live_in_separate_deterministic_accounts(
    make_sandbox: ClientFactory,
) -> None:
    sandbox, fresh = await make_sandbox(), await make_sandbox()
    task = await start_task(sandbox)

    mine, theirs = await first_canvas(sandbox), await first_canvas(sandbox, OTHER_AUTH)
    foreign_status, _ = await call(sandbox, "GET", f"/v1/tasks/{task['id']}", headers=OTHER_AUTH)
    _, my_who = await call(sandbox, "GET", "/v1/whoami")
    _, their_who = await call(sandbox, "GET", "/v1/whoami", headers=OTHER_AUTH)

    assert mine["id"] != theirs["id"]
    assert foreign_status == 404
    assert my_who["team"]["id"] != their_who["team"]["id"]
    assert await first_canvas(fresh) == mine  # same token, same seed, in another sandbox
    assert sandbox.app[SANDBOX_STATE].account(TOKEN).tasks.get(task["id"]) is not None


async def test_catalog_items_have_canonical_shapes(sandbox: Client) -> None:
    _, orgs = await call(sandbox, "GET", "/v1/organizations")
    _, who = await call(sandbox, "GET", "/v1/whoami")
    _, kits = await call(sandbox, "GET", "/v1/brand-kits")
    _, events = await call(sandbox, "GET", "/v1/events?limit=1")
    _, credits = await call(sandbox, "GET", "/v1/credits")
    canvas = await first_canvas(sandbox)

    own = next(org for org in orgs["data"] if org["role"] == "owner")
    assert set(own) == {"id", "name", "role", "teams", "created_at"}
    assert own["id"] == who["organization"]["id"]
    assert {"id": who["team"]["id"], "name": who["team"]["name"], "is_default": True} in own[
        "teams"
    ]
    assert who["team"]["id"].startswith("team_")
    assert who["team"]["uuid"] == str(uuid_from_prefixed(who["team"]["id"]))
    assert who["api_key"]["id"].startswith("ak_")
    assert all("team_id" not in kit and kit["id"].startswith("bk_") for kit in kits["data"])
    assert set(events["data"][0]) == {"id", "type", "created_at", "method", "path", "status"}
    assert set(credits) == {"credits_limit", "credits_remaining", "credits_reset_date", "plan"}
    assert set(canvas) == {
        "id", "name", "url", "category", "visibility", "created_at", "updated_at", "created_by",
    }  # fmt: skip


# --- Prefer: wait -----------------------------------------------------------------------


async def test_prefer_wait_holds_until_the_task_is_terminal(sandbox: Client) -> None:
    response = await sandbox.post(
        "/v1/tasks", json={"prompt": "quick"}, headers={**AUTH, "Prefer": "respond-async, wait=25"}
    )

    task = await response.json()
    assert response.status == 200
    assert response.headers["Preference-Applied"] == "wait=25"
    assert task["status"] == "succeeded"
    assert task["completed_at"] == iso_at(10)


async def test_prefer_wait_returns_the_current_envelope_when_the_budget_runs_out(
    sandbox: Client,
) -> None:
    response = await sandbox.post(
        "/v1/tasks", json={"prompt": "slow"}, headers={**AUTH, "Prefer": "WAIT=4"}
    )

    task = await response.json()
    assert response.status == 202
    assert response.headers["Preference-Applied"] == "wait=4"
    assert (task["status"], task["progress"]["percent"]) == ("running", 25)


async def test_prefer_wait_is_capped_and_malformed_preferences_are_ignored(
    make_sandbox: ClientFactory,
) -> None:
    sandbox = await make_sandbox(max_wait_seconds=5, running_seconds=60)

    capped = await sandbox.post(
        "/v1/tasks", json={"prompt": "a"}, headers={**AUTH, "Prefer": "wait=600"}
    )
    ignored = await sandbox.post(
        "/v1/tasks", json={"prompt": "b"}, headers={**AUTH, "Prefer": "wait=soon"}
    )

    assert capped.headers["Preference-Applied"] == "wait=5"
    assert (await capped.json())["created_at"] == iso_at(0)
    assert "Preference-Applied" not in ignored.headers
    assert (await ignored.json())["created_at"] == iso_at(5)  # no time passed for it


async def test_prefer_wait_on_slow_cancel_returns_the_canceled_envelope(
    sandbox: Client, sandbox_clock: FakeClock
) -> None:
    task = await start_task(sandbox, "#slow-cancel deck")
    sandbox_clock.advance(3.0)

    response = await sandbox.post(
        f"/v1/tasks/{task['id']}/cancel", headers={**AUTH, "Prefer": "wait=10"}
    )

    assert response.status == 200
    assert (await response.json())["status"] == "canceled"


# --- ids and validation -----------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"prompt": "x", "canvas_id": "7383d5ba-e41e-4a36-9ace-cd2ec7bfc836"},
        {"prompt": "x", "brand_kit_id": "7383d5ba-e41e-4a36-9ace-cd2ec7bfc836"},
        {"prompt": "x", "reference_canvas_ids": ["7383d5ba-e41e-4a36-9ace-cd2ec7bfc836"]},
    ],
)
async def test_bare_uuids_in_json_bodies_are_400(sandbox: Client, body: Any) -> None:
    status, error = await call(sandbox, "POST", "/v1/tasks", body)

    assert status == 400
    assert (error["error"]["type"], error["error"]["code"]) == (
        "invalid_request",
        "invalid_id_format",
    )


async def test_path_ids_accept_bare_uuids_and_any_case(sandbox: Client) -> None:
    canvas = await first_canvas(sandbox)
    task = await start_task(sandbox)
    bare_canvas = uuid_from_prefixed(canvas["id"])
    bare_task = uuid_from_prefixed(task["id"])

    canvas_status, by_uuid = await call(sandbox, "GET", f"/v1/canvases/{bare_canvas}")
    lower_status, by_lower = await call(sandbox, "GET", f"/v1/canvases/{canvas['id'].lower()}")
    task_status, task_by_uuid = await call(sandbox, "GET", f"/v1/tasks/{bare_task}")
    bad_status, bad = await call(sandbox, "GET", "/v1/canvases/not-an-id")

    assert (canvas_status, by_uuid) == (200, canvas)
    assert (lower_status, by_lower) == (200, canvas)
    assert (task_status, task_by_uuid["id"]) == (200, task["id"])
    assert (bad_status, bad["error"]["code"]) == (400, "invalid_id_format")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body.prompt"),
        ({"prompt": "   "}, "body.prompt"),
        ({"prompt": 7}, "body.prompt"),
        ({"prompt": "x", "canvas_id": "cvs_short"}, "body.canvas_id"),
        ({"prompt": "x", "number_of_slides": 0}, "body.number_of_slides"),
        ({"prompt": "x", "callback_url": "http://example.com/hook"}, "body.callback_url"),
    ],
)
async def test_invalid_bodies_are_422_naming_the_field(
    sandbox: Client, body: Any, field: str
) -> None:
    status, error = await call(sandbox, "POST", "/v1/tasks", body)

    assert status == 422
    assert (error["error"]["type"], error["error"]["code"]) == (
        "unprocessable",
        "validation_failed",
    )
    assert field in [entry["field"] for entry in error["error"]["details"]["fields"]]


async def test_malformed_json_is_400(sandbox: Client) -> None:
    response = await sandbox.post("/v1/tasks", data=b"{not json", headers=AUTH)

    assert response.status == 400
    assert (await response.json())["error"]["type"] == "invalid_request"


async def test_editing_an_unknown_canvas_is_404(sandbox: Client) -> None:
    status, body = await call(
        sandbox, "POST", "/v1/tasks", {"prompt": "x", "canvas_id": "cvs_00000000000000000000000000"}
    )

    assert (status, body["error"]["type"]) == (404, "not_found")


async def test_a_follow_up_in_a_conversation_edits_the_same_canvas(
    sandbox: Client, sandbox_clock: FakeClock
) -> None:
    first = await start_task(sandbox)
    sandbox_clock.advance(10.0)
    _, done = await call(sandbox, "GET", f"/v1/tasks/{first['id']}")
    conversation = done["result"]["conversation_id"]

    follow_up = await start_task(sandbox, "Shorter please", conversation_id=conversation)
    sandbox_clock.advance(10.0)
    _, finished = await call(sandbox, "GET", f"/v1/tasks/{follow_up['id']}")

    assert follow_up["input"]["conversation_id"] == conversation
    assert finished["result"]["canvas_id"] == done["result"]["canvas_id"]
    assert finished["result"]["conversation_id"] == conversation


# --- webhooks ----------------------------------------------------------------------------


class Receiver:
    """A webhook endpoint that answers with scripted statuses and keeps what it received."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.received: list[tuple[dict[str, str], bytes]] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((dict(request.headers), await request.read()))
        status = self.statuses.pop(0) if self.statuses else 200
        return web.Response(status=status)

    async def wait_for(self, count: int) -> None:
        for _ in range(500):
            if len(self.received) >= count:
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"only {len(self.received)} of {count} deliveries arrived")


async def start_receiver(
    aiohttp_server: AiohttpServer, statuses: list[int]
) -> tuple[Receiver, str]:
    receiver = Receiver(statuses)
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    server = await aiohttp_server(app)
    return receiver, str(server.make_url("/hook"))


def assert_signed(headers: dict[str, str], body: bytes) -> None:
    timestamp = headers["X-Webhook-Timestamp"]
    expected = hmac.new(b"whsec_sandbox", f"{timestamp}.".encode() + body, hashlib.sha256)
    assert headers["X-Webhook-Signature"] == f"v1={expected.hexdigest()}"
    assert headers["Content-Type"] == "application/json"
    assert int(timestamp) > 0


async def test_a_finished_task_is_posted_to_its_callback_signed(
    make_sandbox: ClientFactory, aiohttp_server: AiohttpServer
) -> None:
    receiver, url = await start_receiver(aiohttp_server, [])
    sandbox = await make_sandbox(allow_http_callbacks=True)

    task = await start_task(sandbox, "webhook me", callback_url=url)
    await receiver.wait_for(1)

    headers, body = receiver.received[0]
    assert_signed(headers, body)
    event = json.loads(body)
    assert event["id"].startswith("evt_")
    assert (event["type"], event["api_version"]) == ("task.succeeded", "2026-05-01")
    assert event["data"]["id"] == task["id"]
    assert event["data"]["status"] == "succeeded"
    assert event["created"] == event["data"]["completed_at"]
    assert "callback_url" not in task["input"]
    _, fetched = await call(sandbox, "GET", f"/v1/tasks/{task['id']}")
    assert event["data"] == fetched


async def test_failed_deliveries_are_retried_with_the_same_event_id(
    make_sandbox: ClientFactory, aiohttp_server: AiohttpServer
) -> None:
    receiver, url = await start_receiver(aiohttp_server, [500, 500])
    sandbox = await make_sandbox(allow_http_callbacks=True, webhook_retry_delays=(0.01, 0.01, 0.01))

    await start_task(sandbox, "#dead retry me", callback_url=url)
    await receiver.wait_for(3)
    await asyncio.sleep(0.05)

    assert len(receiver.received) == 3  # delivered on the third try, then no more
    events = [json.loads(body) for _, body in receiver.received]
    assert len({event["id"] for event in events}) == 1
    assert events[0]["type"] == "task.failed"
    assert events[0]["data"]["error"]["retryable"] is False
    for headers, body in receiver.received:
        assert_signed(headers, body)


async def test_expired_tasks_fire_no_webhook_but_remixes_do(
    make_sandbox: ClientFactory, aiohttp_server: AiohttpServer
) -> None:
    receiver, url = await start_receiver(aiohttp_server, [])
    sandbox = await make_sandbox(allow_http_callbacks=True)
    source = await first_canvas(sandbox)

    await start_task(sandbox, "#expire", callback_url=url)
    await call(sandbox, "POST", "/v1/remix", {"canvas_id": source["id"], "callback_url": url})
    await receiver.wait_for(1)
    await asyncio.sleep(0.05)

    assert len(receiver.received) == 1
    event = json.loads(receiver.received[0][1])
    assert (event["type"], event["data"]["kind"]) == ("task.succeeded", "remix")
