"""The sandbox answers in the shapes Moda ships (moda-api.md §2.6b, the official CLI's tests):
one contract test per route, each answer validated against its upstream model."""

from typing import Any

import pytest
from aiohttp import FormData, web
from pydantic import BaseModel
from pytest_aiohttp import AiohttpClient
from yarl import URL

from proxy.sandbox.app import SANDBOX_STATE, create_sandbox_app
from proxy.sandbox.http import account_of
from proxy.sandbox.paging import list_response
from proxy.sandbox.settings import SandboxSettings
from tests.fakes.clock import FakeClock
from tests.fakes.sandbox_client import Client, ClientFactory, caller
from translations.models import upstream

TOKEN = "moda_test_shipped"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

call = caller(TOKEN)


@pytest.fixture
async def sandbox(make_sandbox: ClientFactory) -> Client:
    return await make_sandbox()


def valid(model: type[BaseModel], body: Any) -> Any:
    """The body, once its upstream model accepts it."""
    model.model_validate(body)
    return body


def error_of(body: Any) -> tuple[str, str]:
    return body["error"]["type"], body["error"]["code"]


def fields_of(body: Any) -> list[str]:
    return [entry["field"] for entry in body["error"]["details"]["fields"]]


# --- cursor lists -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "size", "counted"),
    [
        ("/v1/canvases", 45, False),
        ("/v1/tasks", 25, False),
        ("/v1/brand-kits", 3, True),
        ("/v1/organizations", 2, True),
        ("/v1/events", 60, False),
    ],
)
async def test_cursor_lists_ship_the_full_envelope(
    sandbox: Client, path: str, size: int, counted: bool
) -> None:
    status, first = await call(sandbox, "GET", f"{path}?limit=1")
    _, whole = await call(sandbox, "GET", f"{path}?limit=100")

    assert status == 200
    valid(upstream.CursorPage, first)
    assert (first["returned"], first["limit"], first["has_more"]) == (1, 1, True)
    assert first["next_cursor"] is not None
    assert (whole["returned"], whole["limit"], whole["has_more"]) == (size, 100, False)
    assert whole["next_cursor"] is None
    assert first["total"] == whole["total"] == (size if counted else None)


async def test_the_default_limit_is_reported(sandbox: Client) -> None:
    _, page = await call(sandbox, "GET", "/v1/canvases")

    assert (page["limit"], page["returned"], page["has_more"]) == (20, 20, True)


async def test_the_last_page_of_a_walk_says_no_more(sandbox: Client) -> None:
    _, first = await call(sandbox, "GET", "/v1/brand-kits?limit=2")
    _, last = await call(sandbox, "GET", f"/v1/brand-kits?limit=2&cursor={first['next_cursor']}")

    assert (last["returned"], last["has_more"], last["next_cursor"], last["total"]) == (
        1,
        False,
        None,
        3,
    )


async def test_a_counted_total_counts_the_list_as_it_grows(make_sandbox: ClientFactory) -> None:
    sandbox = await make_sandbox()
    sandbox.app[SANDBOX_STATE].account(TOKEN).add_brand_kits(347)

    _, page = await call(sandbox, "GET", "/v1/brand-kits?limit=5")

    assert (page["total"], page["returned"]) == (350, 5)


async def test_a_counted_total_counts_only_what_the_filters_keep(
    aiohttp_client: AiohttpClient, sandbox_clock: FakeClock
) -> None:
    app = create_sandbox_app(SandboxSettings(), sandbox_clock)

    async def slides_only(request: web.Request) -> web.Response:
        account = account_of(request)
        return list_response(
            request,
            account,
            account.canvases,
            dict,
            filters={"category": "slides"},
            keep=lambda canvas: canvas["category"] == "slides",
            counted=True,
        )

    app.router.add_get("/v1/test-only/slides", slides_only)
    client = await aiohttp_client(app)
    _, everything = await call(client, "GET", "/v1/canvases?limit=100")
    slides = [item for item in everything["data"] if item["category"] == "slides"]

    _, page = await call(client, "GET", "/v1/test-only/slides?limit=1")

    assert 1 < len(slides) < 45
    assert (page["total"], page["returned"], page["data"][0]) == (len(slides), 1, slides[0])


# --- canvases/search: the offset lane ---------------------------------------------------


async def _names(client: Client) -> list[tuple[str, str]]:
    _, page = await call(client, "GET", "/v1/canvases?limit=100")
    return [(item["id"], item["name"]) for item in page["data"]]


async def test_search_is_an_offset_lane_with_q(sandbox: Client) -> None:
    everything = await _names(sandbox)
    word = everything[0][1].split()[0]
    expected = [cid for cid, name in everything if word.lower() in name.lower()]

    status, first = await call(sandbox, "GET", f"/v1/canvases/search?q={word.upper()}&limit=2")
    _, rest = await call(sandbox, "GET", f"/v1/canvases/search?q={word}&limit=100&offset=2")

    assert status == 200
    valid(upstream.CanvasSearchPage, first)
    assert set(first) == {"canvases", "returned", "limit", "offset", "has_more"}
    assert (first["returned"], first["limit"], first["offset"]) == (2, 2, 0)
    assert first["has_more"] is (len(expected) > 2)
    assert (rest["offset"], rest["has_more"]) == (2, False)
    assert [c["id"] for c in first["canvases"] + rest["canvases"]] == expected


async def test_search_takes_query_too_and_q_wins(sandbox: Client) -> None:
    everything = await _names(sandbox)
    word = everything[0][1].split()[-1]

    _, by_query = await call(sandbox, "GET", f"/v1/canvases/search?query={word}&limit=100")
    _, both = await call(sandbox, "GET", f"/v1/canvases/search?q=zzz-none&query={word}")
    _, empty = await call(sandbox, "GET", "/v1/canvases/search?q=&limit=100")

    assert by_query["returned"] == sum(word.lower() in name.lower() for _, name in everything)
    assert (both["returned"], both["canvases"], both["has_more"]) == (0, [], False)
    assert empty["returned"] == len(everything)


async def test_an_offset_past_the_end_is_an_empty_page(sandbox: Client) -> None:
    _, page = await call(sandbox, "GET", "/v1/canvases/search?q=&offset=45")

    assert (page["canvases"], page["returned"], page["offset"], page["has_more"]) == (
        [],
        0,
        45,
        False,
    )


async def test_search_without_a_query_is_422(sandbox: Client) -> None:
    status, body = await call(sandbox, "GET", "/v1/canvases/search?limit=5")

    assert (status, error_of(body)) == (422, ("unprocessable", "validation_failed"))
    assert fields_of(body) == ["query.q"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("offset=-1", "query.offset"),
        ("offset=abc", "query.offset"),
        ("offset=1.5", "query.offset"),
        ("limit=0", "query.limit"),
        ("cursor=abc", "query.cursor"),
    ],
)
async def test_bad_search_paging_is_400_naming_the_field(
    sandbox: Client, query: str, field: str
) -> None:
    status, body = await call(sandbox, "GET", f"/v1/canvases/search?q=a&{query}")

    assert (status, body["error"]["type"]) == (400, "invalid_request")
    assert fields_of(body) == [field]


# --- whoami, usage, CLI version headers -------------------------------------------------


async def test_whoami_is_the_full_identity_the_cli_parses(sandbox: Client) -> None:
    status, who = await call(sandbox, "GET", "/v1/whoami")
    me = sandbox.app[SANDBOX_STATE].account(TOKEN).me

    assert status == 200
    valid(upstream.Whoami, who)
    assert who["team"] == {"id": me.team_id, "uuid": me.team_uuid, "name": me.team_name}
    assert (who["organization"]["id"], who["organization"]["uuid"]) == (me.org_id, me.org_uuid)
    assert who["user"]["email"].endswith("@example.com")
    assert who["api_key_id"] == who["api_key"]["id"] == me.api_key_id
    assert {"tasks:write", "designs:export", "uploads:write"} <= set(who["scopes"])
    assert who["plan"] == "paid"
    assert who["entitlements"]["max_active_tasks"] == 10


async def test_every_answer_names_the_cli_releases(make_sandbox: ClientFactory) -> None:
    sandbox = await make_sandbox(cli_latest_version="9.9.9")

    ok = await sandbox.get("/v1/whoami", headers={**AUTH, "Moda-Cli-Version": "0.15.5"})
    refused = await sandbox.get("/v1/whoami")

    for response in (ok, refused):
        assert response.headers["Moda-Cli-Latest-Version"] == "9.9.9"
        assert response.headers["Moda-Cli-Minimum-Version"] == "0.0.0"
    assert (ok.status, refused.status) == (200, 401)


async def test_usage_sums_the_writes_and_credits_of_the_last_seven_days(
    sandbox: Client, sandbox_clock: FakeClock
) -> None:
    _, before = await call(sandbox, "GET", "/v1/usage")
    await call(sandbox, "POST", "/v1/tasks", {"prompt": "A sales deck"})
    await call(sandbox, "POST", "/v1/tasks", {"prompt": "A poster"})
    sandbox_clock.advance(10.0)

    status, after = await call(sandbox, "GET", "/v1/usage?by_operation=true")

    assert status == 200
    valid(upstream.Usage, after)
    assert (before["requests"], before["credits_used"]) == (0, 0)
    assert "by_operation" not in before
    assert (after["requests"], after["credits_used"]) == (2, 10)
    assert after["by_operation"] == [{"operation": "task.created", "requests": 2}]
    assert len(after["daily"]) == 8  # seven days back, both end days included
    assert after["daily"][-1] == {"date": "2026-11-01", "requests": 2, "credits_used": 10}
    assert after["to"] == "2026-11-01T12:16:50.000000+00:00"
    assert after["from"] == "2026-10-25T12:16:50.000000+00:00"


async def test_usage_takes_an_explicit_window_or_days(sandbox: Client) -> None:
    await call(sandbox, "POST", "/v1/tasks", {"prompt": "A sales deck"})

    _, earlier = await call(sandbox, "GET", "/v1/usage?from=2026-10-01&to=2026-10-31T00:00:00Z")
    _, one_day = await call(sandbox, "GET", "/v1/usage?days=1")

    assert (earlier["from"], earlier["to"]) == (
        "2026-10-01T00:00:00.000000+00:00",
        "2026-10-31T00:00:00.000000+00:00",
    )
    assert (earlier["requests"], len(earlier["daily"])) == (0, 31)
    assert (one_day["requests"], len(one_day["daily"])) == (1, 2)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=yesterday", "query.from"),
        ("to=2026-13-01", "query.to"),
        ("from=2026-11-02&to=2026-11-01", "query.from"),
        ("from=2026-01-01&to=2026-11-01", "query.from"),
        ("days=91", "query.days"),
        ("days=0", "query.days"),
        ("days=3&from=2026-10-30", "query.days"),
        ("by_operation=maybe", "query.by_operation"),
        ("api_key_id=nope", "query.api_key_id"),
    ],
)
async def test_bad_usage_queries_are_400_naming_the_field(
    sandbox: Client, query: str, field: str
) -> None:
    status, body = await call(sandbox, "GET", f"/v1/usage?{query}")

    assert (status, body["error"]["type"]) == (400, "invalid_request")
    found = body["error"]["details"].get("fields") or [body["error"]["details"]]
    assert [entry["field"] for entry in found] == [field]


async def test_usage_of_another_api_key_is_404(sandbox: Client) -> None:
    _, who = await call(sandbox, "GET", "/v1/whoami")
    other = "ak_" + ("0" * 26)

    own_status, _ = await call(sandbox, "GET", f"/v1/usage?api_key_id={who['api_key_id']}")
    status, body = await call(sandbox, "GET", f"/v1/usage?api_key_id={other}")

    assert own_status == 200
    assert (status, error_of(body)) == (404, ("not_found", "not_found"))


# --- canvas pages -----------------------------------------------------------------------


async def test_canvas_pages_list_every_page_of_the_canvas(sandbox: Client) -> None:
    _, page = await call(sandbox, "GET", "/v1/canvases?limit=100")
    canvases = {item["category"]: item for item in page["data"]}
    deck, post = canvases["slides"], canvases["social"]

    status, deck_pages = await call(sandbox, "GET", f"/v1/canvases/{deck['id']}/pages")
    _, again = await call(sandbox, "GET", f"/v1/canvases/{deck['id']}/pages")
    _, post_pages = await call(sandbox, "GET", f"/v1/canvases/{post['id']}/pages")

    assert status == 200
    valid(upstream.CanvasPages, deck_pages)
    assert deck_pages == again
    assert deck_pages["canvas_name"] == deck["name"]
    numbers = [entry["page_number"] for entry in deck_pages["pages"]]
    assert numbers == list(range(1, deck_pages["total_pages"] + 1))
    assert 5 <= deck_pages["total_pages"] <= 12
    assert {(p["width"], p["height"]) for p in deck_pages["pages"]} == {(1920, 1080)}
    assert deck_pages["pages"][0]["name"] == "Cover"
    assert (post_pages["total_pages"], post_pages["pages"][0]["width"]) == (1, 1080)


async def test_pages_of_an_unknown_canvas_are_404(sandbox: Client) -> None:
    status, body = await call(sandbox, "GET", f"/v1/canvases/cvs_{'0' * 26}/pages")
    bad_status, bad = await call(sandbox, "GET", "/v1/canvases/nope/pages")

    assert (status, error_of(body)) == (404, ("not_found", "file_not_found"))
    assert (bad_status, error_of(bad)) == (400, ("invalid_request", "invalid_id_format"))


# --- uploads ----------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"logo pixels"


def form(content: bytes, filename: str, content_type: str, **fields: str) -> FormData:
    data = FormData()
    data.add_field("file", content, filename=filename, content_type=content_type)
    for name, value in fields.items():
        data.add_field(name, value)
    return data


async def upload(
    client: Client, data: FormData, token_headers: dict[str, str] = AUTH
) -> tuple[int, Any]:
    response = await client.post("/v1/uploads", data=data, headers=token_headers)
    return response.status, await response.json()


async def fetch_bytes(client: Client, url: str) -> tuple[int, bytes, str]:
    """Stored-file URLs carry their own signature: fetched with no API key."""
    response = await client.get(URL(url).path_qs)
    return response.status, await response.read(), response.content_type


async def test_an_upload_answers_the_file_record_and_serves_its_bytes(sandbox: Client) -> None:
    status, record = await upload(sandbox, form(PNG, "logo.png", "image/png"))

    assert status == 200
    valid(upstream.FileUpload, record)
    assert (record["filename"], record["mime_type"], record["size_bytes"]) == (
        "logo.png",
        "image/png",
        len(PNG),
    )
    assert (record["was_duplicate"], record["folder_id"]) == (False, None)
    assert record["url"].startswith(str(sandbox.make_url("/api/v2/images/ref/")))
    assert await fetch_bytes(sandbox, record["url"]) == (200, PNG, "image/png")
    forged = record["url"].rsplit("=", 1)[0] + "=AAAA"
    assert (await fetch_bytes(sandbox, forged))[0] == 404


async def test_the_same_bytes_again_are_a_duplicate_of_the_first_record(
    sandbox: Client,
) -> None:
    _, first = await upload(sandbox, form(PNG, "logo.png", "image/png"))
    _, again = await upload(sandbox, form(PNG, "copy.png", "application/octet-stream"))
    _, other = await upload(sandbox, form(PNG + b"!", "logo.png", "image/png"))
    _, elsewhere = await upload(
        sandbox, form(PNG, "logo.png", "image/png"), {"Authorization": "Bearer moda_other"}
    )

    valid(upstream.FileUpload, again)
    assert again == {**first, "was_duplicate": True}
    assert other["id"] != first["id"]
    assert other["was_duplicate"] is False
    assert (elsewhere["was_duplicate"], elsewhere["id"] != first["id"]) == (False, True)


async def test_the_type_comes_from_the_name_when_the_part_does_not_say(sandbox: Client) -> None:
    _, deck = await upload(sandbox, form(b"PK\x03\x04deck", "q3.pptx", "application/octet-stream"))

    assert deck["mime_type"] == (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    )


async def test_an_oversize_upload_is_422(make_sandbox: ClientFactory) -> None:
    sandbox = await make_sandbox(upload_max_bytes=len(PNG) - 1)

    status, body = await upload(sandbox, form(PNG, "logo.png", "image/png"))
    fits_status, _ = await upload(sandbox, form(PNG[:-1], "logo.png", "image/png"))

    assert (status, error_of(body)) == (422, ("unprocessable", "file_too_large"))
    assert body["error"]["details"] == {"max_bytes": len(PNG) - 1}
    assert fits_status == 200


@pytest.mark.parametrize(
    ("data", "status", "error", "field"),
    [
        (form(b"hello", "notes.txt", "text/plain"), 422, "unsupported_file_type", None),
        (form(b"", "logo.png", "image/png"), 422, "validation_failed", "body.file"),
        (FormData({"other": "x"}), 422, "validation_failed", "body.file"),
        (form(PNG, "logo.png", "image/png", folder_id="nope"), 400, "invalid_id_format", None),
        (
            form(PNG, "logo.png", "image/png", folder_id=f"fld_{'1' * 26}"),
            404,
            "folder_not_found",
            None,
        ),
    ],
)
async def test_bad_uploads_are_refused(
    sandbox: Client, data: FormData, status: int, error: str, field: str | None
) -> None:
    got, body = await upload(sandbox, data)

    assert (got, body["error"]["code"]) == (status, error)
    if field is not None:
        assert fields_of(body) == [field]


async def test_an_upload_without_multipart_is_422(sandbox: Client) -> None:
    status, body = await call(sandbox, "POST", "/v1/uploads", {"file": "logo.png"})

    assert (status, fields_of(body)) == (422, ["body.file"])


async def test_upload_from_url_makes_a_stand_in_file_without_fetching(sandbox: Client) -> None:
    source = {"source_url": "https://cdn.example.com/brand/logo.svg"}

    status, record = await call(sandbox, "POST", "/v1/uploads/from-url", source)
    _, again = await call(sandbox, "POST", "/v1/uploads/from-url", source)
    _, named = await call(
        sandbox,
        "POST",
        "/v1/uploads/from-url",
        {"source_url": "https://cdn.example.com/hero", "filename": "hero"},
    )

    assert status == 200
    valid(upstream.FileUpload, record)
    assert (record["filename"], record["mime_type"], record["was_duplicate"]) == (
        "logo.svg",
        "image/svg+xml",
        False,
    )
    assert again == {**record, "was_duplicate": True}
    assert (named["filename"], named["mime_type"]) == ("hero.png", "image/png")
    fetched_status, content, _ = await fetch_bytes(sandbox, record["url"])
    assert fetched_status == 200
    assert len(content) == record["size_bytes"]
    assert b"https://cdn.example.com/brand/logo.svg" in content


@pytest.mark.parametrize(
    "url",
    [
        "http://cdn.example.com/logo.png",
        "https://localhost/logo.png",
        "https://api.localhost/logo.png",
        "https://127.0.0.1/logo.png",
        "https://10.1.2.3/logo.png",
        "https://192.168.0.10/logo.png",
        "https://169.254.169.254/latest/meta-data",
        "https://metadata.google.internal/computeMetadata/v1/",
        "https://[::1]/logo.png",
        "https://[::ffff:127.0.0.1]/logo.png",
        "https://2130706433/logo.png",
        "https://0x7f.1/logo.png",
        "https://0.0.0.0/logo.png",
        "file:///etc/passwd",
        "not a url",
    ],
)
async def test_upload_from_url_refuses_internal_and_plain_http_urls(
    sandbox: Client, url: str
) -> None:
    status, body = await call(sandbox, "POST", "/v1/uploads/from-url", {"source_url": url})

    assert (status, error_of(body)) == (422, ("unprocessable", "validation_failed"))
    assert fields_of(body) == ["body.source_url"]


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"source_url": "https://cdn.example.com/a.png", "wat": 1}, "extra_forbidden", "body.wat"),
        ({}, "missing", "body.source_url"),
        ({"source_url": "https://cdn.example.com/page.html"}, None, None),
    ],
)
async def test_upload_from_url_validates_its_body(
    sandbox: Client, body: Any, code: str | None, field: str | None
) -> None:
    status, answer = await call(sandbox, "POST", "/v1/uploads/from-url", body)

    assert status == 422
    if code is None:
        assert answer["error"]["code"] == "unsupported_file_type"
    else:
        assert answer["error"]["details"]["fields"][0]["code"] == code
        assert fields_of(answer) == [field]


async def test_a_malformed_multipart_body_is_400(sandbox: Client) -> None:
    headers = {**AUTH, "Content-Type": "multipart/form-data; boundary=xyz"}
    response = await sandbox.post("/v1/uploads", data=b"--xyz\r\nno end", headers=headers)

    assert response.status == 400
    assert error_of(await response.json()) == ("invalid_request", "invalid_request")


# --- exports ----------------------------------------------------------------------------


async def canvas_of(client: Client, category: str) -> Any:
    _, page = await call(client, "GET", "/v1/canvases?limit=100")
    return next(item for item in page["data"] if item["category"] == category)


async def page_count(client: Client, canvas_id: str) -> int:
    _, pages = await call(client, "GET", f"/v1/canvases/{canvas_id}/pages")
    return int(pages["total_pages"])


async def test_a_waited_export_is_completed_with_a_downloadable_artifact(
    sandbox: Client,
) -> None:
    deck = await canvas_of(sandbox, "slides")

    status, export = await call(sandbox, "POST", f"/v1/canvases/{deck['id']}/export?format=pdf")

    assert status == 200
    valid(upstream.CanvasExport, export)
    assert (export["status"], export["format"], export["retry_after_seconds"]) == (
        "completed",
        "pdf",
        None,
    )
    assert (export["canvas_id"], export["canvas_url"]) == (deck["id"], deck["url"])
    assert export["total_pages"] == await page_count(sandbox, deck["id"])
    assert export["task_id"].startswith("task_")
    assert [w["code"] for w in export["warnings"]] == ["pdf_links_flattened"]
    fetched_status, content, content_type = await fetch_bytes(sandbox, export["url"])
    assert (fetched_status, content_type) == (200, "application/pdf")
    assert content.startswith(b"%PDF")


async def test_raster_exports_of_several_pages_arrive_as_a_zip(sandbox: Client) -> None:
    deck = await canvas_of(sandbox, "slides")
    path = f"/v1/canvases/{deck['id']}/export"

    _, whole = await call(sandbox, "POST", path)
    _, one = await call(sandbox, "POST", f"{path}?format=jpg&page_number=2&pixel_ratio=2.5")

    assert (whole["format"], whole["warnings"]) == ("zip", [])
    assert (one["format"], one["total_pages"]) == ("jpeg", 1)
    assert (await fetch_bytes(sandbox, one["url"]))[2] == "image/jpeg"


async def test_an_unwaited_export_is_polled_to_completion(
    sandbox: Client, sandbox_clock: FakeClock
) -> None:
    post = await canvas_of(sandbox, "social")
    base = f"/v1/canvases/{post['id']}"

    _, started = await call(sandbox, "POST", f"{base}/export?format=png&wait=false")
    status, running = await call(
        sandbox, "GET", f"{base}/export-status?task_id={started['task_id']}"
    )
    sandbox_clock.advance(3.0)
    _, done = await call(sandbox, "GET", f"{base}/export-status?task_id={started['task_id']}")

    valid(upstream.CanvasExport, started)
    assert (started["status"], started["url"], started["retry_after_seconds"]) == (
        "in_progress",
        None,
        3,
    )
    assert status == 200
    valid(upstream.ExportStatus, running)
    assert (running["status"], running["is_terminal"], running["url"]) == ("running", False, None)
    valid(upstream.ExportStatus, done)
    assert (done["status"], done["is_terminal"], done["retry_after_seconds"]) == (
        "completed",
        True,
        None,
    )
    assert (done["task_id"], done["format"], done["error"]) == (started["task_id"], "png", None)
    fetched_status, content, _ = await fetch_bytes(sandbox, done["url"])
    assert (fetched_status, content[:8]) == (200, PNG[:8])


async def test_a_canvas_with_a_design_task_in_flight_cannot_export(
    sandbox: Client, sandbox_clock: FakeClock
) -> None:
    deck = await canvas_of(sandbox, "slides")
    other = await canvas_of(sandbox, "social")
    await call(
        sandbox, "POST", "/v1/tasks", {"prompt": "Tighten the copy", "canvas_id": deck["id"]}
    )

    busy = await sandbox.post(f"/v1/canvases/{deck['id']}/export", headers=AUTH)
    free_status, _ = await call(sandbox, "POST", f"/v1/canvases/{other['id']}/export")
    sandbox_clock.advance(10.0)
    after_status, _ = await call(sandbox, "POST", f"/v1/canvases/{deck['id']}/export")

    body = await busy.json()
    assert (busy.status, error_of(body)) == (409, ("conflict", "canvas_active_job"))
    assert busy.headers["Retry-After"] == "10"
    assert body["error"]["details"]["task_id"].startswith("task_")
    assert (free_status, after_status) == (200, 200)


async def test_a_design_task_continuing_a_conversation_also_blocks_its_canvas(
    sandbox: Client,
) -> None:
    conversations = sandbox.app[SANDBOX_STATE].account(TOKEN).conversations
    conversation_id, canvas_id = next(iter(conversations.items()))
    body = {"prompt": "Add a pricing slide", "conversation_id": conversation_id}
    await call(sandbox, "POST", "/v1/tasks", body)

    status, answer = await call(sandbox, "POST", f"/v1/canvases/{canvas_id}/export")

    assert (status, answer["error"]["code"]) == (409, "canvas_active_job")


async def test_export_status_of_another_canvas_or_an_unknown_task_is_404(
    sandbox: Client,
) -> None:
    deck = await canvas_of(sandbox, "slides")
    post = await canvas_of(sandbox, "social")
    _, export = await call(sandbox, "POST", f"/v1/canvases/{deck['id']}/export?wait=false")

    mismatch, body = await call(
        sandbox, "GET", f"/v1/canvases/{post['id']}/export-status?task_id={export['task_id']}"
    )
    unknown, _ = await call(
        sandbox, "GET", f"/v1/canvases/{deck['id']}/export-status?task_id=task_{'0' * 26}"
    )
    missing, missing_body = await call(sandbox, "GET", f"/v1/canvases/{deck['id']}/export-status")
    malformed, _ = await call(
        sandbox, "GET", f"/v1/canvases/{deck['id']}/export-status?task_id=nope"
    )

    assert (mismatch, error_of(body)) == (404, ("not_found", "not_found"))
    assert unknown == 404
    assert (missing, fields_of(missing_body)) == (422, ["query.task_id"])
    assert malformed == 400


@pytest.mark.parametrize(
    ("query", "status", "code", "field"),
    [
        ("format=webp", 400, "invalid_request", "query.format"),
        ("pixel_ratio=5", 400, "invalid_request", "query.pixel_ratio"),
        ("pixel_ratio=0.5", 400, "invalid_request", "query.pixel_ratio"),
        ("page_number=0", 400, "invalid_request", "query.page_number"),
        ("page_number=99", 400, "invalid_request", "query.page_number"),
        ("wait=maybe", 400, "invalid_request", "query.wait"),
        ("flatten=2", 400, "invalid_request", "query.flatten"),
        ("format=mp4", 400, "invalid_request", "query.page_number"),
        ("format=gif&page_number=1", 422, "no_animation", None),
    ],
)
async def test_bad_export_queries_are_refused(
    sandbox: Client, query: str, status: int, code: str, field: str | None
) -> None:
    deck = await canvas_of(sandbox, "slides")

    got, body = await call(sandbox, "POST", f"/v1/canvases/{deck['id']}/export?{query}")

    assert (got, body["error"]["code"]) == (status, code)
    if field is not None:
        assert fields_of(body) == [field]


async def test_exporting_an_unknown_canvas_is_404(sandbox: Client) -> None:
    status, body = await call(sandbox, "POST", f"/v1/canvases/cvs_{'0' * 26}/export")

    assert (status, error_of(body)) == (404, ("not_found", "file_not_found"))


# --- brand kits -------------------------------------------------------------------------

KIT_FIELDS = {
    "name": "Acme",
    "colors": [{"color": "#0F172A", "label": "Primary"}, {"color": "#F97316"}],
    "fonts": [{"family": "Inter", "weight": 600}, {"family": "Lora", "label": "body"}],
}


async def test_a_kit_is_created_from_direct_fields_at_once(sandbox: Client) -> None:
    _, logo = await upload(sandbox, form(PNG, "logo.png", "image/png"))
    body = {**KIT_FIELDS, "logo_file_ids": [logo["id"]], "idempotency_key": "ik_1"}

    status, kit = await call(sandbox, "POST", "/v1/brand-kits", body)
    _, shown = await call(sandbox, "GET", f"/v1/brand-kits/{kit['id']}")
    _, listed = await call(sandbox, "GET", "/v1/brand-kits?limit=100")

    assert status == 200
    valid(upstream.BrandKit, kit)
    assert (kit["title"], kit["company_name"], kit["is_default"]) == ("Acme", "Acme", False)
    assert kit["colors"] == [
        {"color": "#0F172A", "label": "Primary"},
        {"color": "#F97316", "label": None},
    ]
    assert kit["fonts"] == [
        {"family": "Inter", "label": None, "weight": 600, "supported": True},
        {"family": "Lora", "label": "body", "weight": None, "supported": True},
    ]
    assert kit["logos"] == [
        {
            "group_name": "Logos",
            "images": [{"file_id": logo["id"], "name": "logo.png", "url": logo["url"]}],
        }
    ]
    assert shown == kit
    assert (listed["total"], listed["data"][0]["id"]) == (4, kit["id"])


async def test_a_repeated_idempotency_key_answers_the_same_kit(sandbox: Client) -> None:
    body = {**KIT_FIELDS, "idempotency_key": "ik_same"}

    _, first = await call(sandbox, "POST", "/v1/brand-kits", body)
    status, again = await call(sandbox, "POST", "/v1/brand-kits", body)
    clash, conflict = await call(sandbox, "POST", "/v1/brand-kits", {**body, "name": "Globex"})
    _, unkeyed = await call(sandbox, "POST", "/v1/brand-kits", KIT_FIELDS)
    _, listed = await call(sandbox, "GET", "/v1/brand-kits")

    assert (status, again) == (200, first)
    assert (clash, error_of(conflict)) == (409, ("idempotency_conflict", "idempotency_conflict"))
    assert unkeyed["id"] != first["id"]
    assert listed["total"] == 5


async def test_the_first_kit_of_a_team_is_its_default(make_sandbox: ClientFactory) -> None:
    sandbox = await make_sandbox(seed_brand_kits=0)

    _, first = await call(sandbox, "POST", "/v1/brand-kits", {"name": "Acme"})
    _, second = await call(sandbox, "POST", "/v1/brand-kits", {"name": "Globex"})

    assert (first["is_default"], second["is_default"]) == (True, False)
    assert (first["colors"], first["fonts"], first["logos"]) == ([], [], [])


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"name": ""}, 422, "body.name"),
        ({"name": "Acme", "colors": [{"color": "blue"}]}, 422, "body.colors.0.color"),
        (
            {"name": "Acme", "fonts": [{"family": "Inter", "weight": "600"}]},
            422,
            "body.fonts.0.weight",
        ),
        ({"name": "Acme", "is_default": True}, 422, "body.is_default"),
        ({"name": "Acme", "logo_file_ids": ["logo.png"]}, 422, "body.logo_file_ids.0"),
        ({"name": "Acme", "url": "https://acme.example"}, 422, "body.url"),
        ({"colors": [{"color": "#000"}]}, 422, "body.url"),
    ],
)
async def test_bad_direct_kit_bodies_are_422_naming_the_field(
    sandbox: Client, body: Any, status: int, field: str
) -> None:
    got, answer = await call(sandbox, "POST", "/v1/brand-kits", body)

    assert (got, answer["error"]["code"]) == (status, "validation_failed")
    assert fields_of(answer)[0] == field


async def test_a_logo_that_was_never_uploaded_is_404(sandbox: Client) -> None:
    body = {"name": "Acme", "logo_file_ids": [f"file_{'2' * 26}"]}

    status, answer = await call(sandbox, "POST", "/v1/brand-kits", body)
    _, listed = await call(sandbox, "GET", "/v1/brand-kits")

    assert (status, error_of(answer)) == (404, ("not_found", "not_found"))
    assert listed["total"] == 3


async def test_patch_changes_only_what_it_names_and_replaces_arrays(
    sandbox: Client, sandbox_clock: FakeClock
) -> None:
    _, listed = await call(sandbox, "GET", "/v1/brand-kits")
    kit = listed["data"][0]
    sandbox_clock.advance(60.0)
    patch = {"tagline": "Build fast", "colors": [{"color": "#F97316", "label": "Accent"}]}

    status, updated = await call(sandbox, "PATCH", f"/v1/brand-kits/{kit['id']}", patch)
    _, shown = await call(sandbox, "GET", f"/v1/brand-kits/{kit['id']}")
    _, unchanged = await call(sandbox, "PATCH", f"/v1/brand-kits/{kit['id']}", {})

    assert status == 200
    valid(upstream.BrandKit, updated)
    assert updated["colors"] == [{"color": "#F97316", "label": "Accent"}]
    assert updated["tagline"] == "Build fast"
    assert updated["updated_at"] > kit["updated_at"]
    untouched = set(kit) - {"colors", "tagline", "updated_at"}
    assert {name: updated[name] for name in untouched} == {name: kit[name] for name in untouched}
    assert shown == updated == unchanged


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"is_default": True}, "body.is_default"),
        ({"id": "bk_x"}, "body.id"),
        ({"title": None}, "body.title"),
        ({"colors": None}, "body.colors"),
        ({"brand_values": "fast"}, "body.brand_values"),
        ({"fonts": [{"family": "Inter", "supported": False}]}, "body.fonts.0.supported"),
    ],
)
async def test_patch_refuses_fields_it_may_not_write(
    sandbox: Client, patch: Any, field: str
) -> None:
    _, listed = await call(sandbox, "GET", "/v1/brand-kits")
    kit = listed["data"][0]

    status, body = await call(sandbox, "PATCH", f"/v1/brand-kits/{kit['id']}", patch)
    _, after = await call(sandbox, "GET", f"/v1/brand-kits/{kit['id']}")

    assert (status, error_of(body)) == (422, ("unprocessable", "validation_failed"))
    assert fields_of(body) == [field]
    assert after == kit


async def test_patching_an_unknown_kit_is_404(sandbox: Client) -> None:
    status, body = await call(sandbox, "PATCH", f"/v1/brand-kits/bk_{'3' * 26}", {"tagline": "x"})
    bad, _ = await call(sandbox, "PATCH", "/v1/brand-kits/nope", {"tagline": "x"})

    assert (status, error_of(body)) == (404, ("not_found", "not_found"))
    assert bad == 400
