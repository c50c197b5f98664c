"""The sandbox: an in-memory, post-sunset Moda REST API serving only version 2026-05-01.

Each bearer token (`moda_...`) is its own account, seeded deterministically from a
digest of the token. Task state is computed from the injected clock on every read, so a
fake clock drives it.

Prompt tags (case-insensitive; the first outcome tag wins, `#slow-cancel` combines with
any):
  `#fail`         failed at the end of running, `error.retryable: true`
  `#dead`         failed at the end of running, `error.retryable: false` (dead-lettered)
  `#expire`       never starts: queued, then `expired` when it would have finished
  `#slow-cancel`  a cancel while running answers 202 `canceling`; `canceled` after
                  cancel_ack_seconds

Decisions where moda-api.md is silent:
  * Statuses: a new task is 202; a task-returning POST answers 200 when the envelope it
    returns is terminal (promptless remix, or a `Prefer: wait` that saw the end) and 202
    otherwise; an idempotent replay is always 200. Cancel: 200 `canceled`, 202
    `canceling`, 409 `conflict` / `task_not_cancelable` once terminal (a second cancel
    while canceling is another 202).
  * `Prefer: wait=N` (non-negative integer; others ignored) on POST /tasks,
    /tasks/{id}/cancel, /remix, /brand-kits; the budget is min(N, max_wait_seconds) and
    is echoed in `Preference-Applied: wait=<budget>`. GET /tasks/{id} never holds.
  * A canceling task stops progressing: it cannot succeed while the executor winds down.
  * Concurrency cap: 429 `rate_limited` / `concurrency_limit_exceeded`, `Retry-After:
    30`; brand-kit extraction is not capped. Idempotent replays are answered before the
    cap is checked.
  * Order of checks: Moda-Version (400), then auth on /v1 (401), then routing (404/405),
    then query and body (400 malformed JSON, value or bare UUID, 422 validation), then
    idempotent replays (200 or 409 `idempotency_conflict`), then existence (404), then
    409 `canvas_active_job` and the cap (429).
  * Ids: a malformed path id is 400 `invalid_id_format`; an unknown one is 404. Unknown
    canvases are `not_found` / `file_not_found` (Moda's own example), other resources
    `not_found` / `not_found`.
  * Query parameters: a malformed value (`limit`, `offset`, `status`, booleans, dates, ...)
    is a 400 `invalid_request` naming the field in `details.fields`; a missing required
    one is a 422 `validation_failed`. The `canvas_id` task filter matches a task's input
    canvas or, once succeeded, its result canvas; `status=running` also lists tasks that
    are `canceling`.
  * Cursor lists answer `{data, next_cursor, returned, has_more, limit, total}`; `limit`
    is the effective one (default 20). `total` counts the list (after its filters) on
    brand kits (Moda's "true COUNT") and organizations (a small per-user set, like the
    counted templates lane in the CLI's tests); it is null on canvases (the CLI's
    fixture), tasks and events (growing logs that Moda's CursorPage lanes leave
    uncounted, moda-api.md §8.4).
  * `/canvases/search` is an offset lane: `q` (or `query`; `q` wins) is required (422
    without either; the CLI always sends one, possibly empty, which matches every
    canvas), `limit` 1-100, `offset` >= 0; it answers `{canvases, returned, limit,
    offset, has_more}`. A `cursor` there is a 400 (`query.cursor`, `not_supported`): a
    client sending one is walking the wrong lane and would otherwise loop on page 1.
  * Design targets: `canvas_id` edits that canvas (404 if unknown); a known
    `conversation_id` continues on its canvas; an unknown one starts a new canvas under
    that conversation id.
  * `POST /brand-kits` with `url` extracts (a `brand_kit_extract` task, as before); with
    `name` and no `url` it builds the kit from direct fields (the CLI's manual lane:
    `name`, `colors`, `fonts`, `logo_file_ids`, and any PATCH-able text or list) and
    answers the kit record at once, 200, no credits. `url` beside direct fields is a 422
    on `body.url`. `name` is the title and the company name; colors and fonts take the
    read shape (`label: null`, `weight: null`, `supported: true`); logos must be this
    account's uploads (404 otherwise), grouped as `Logos`. The team's first kit is its
    default. A repeated `idempotency_key` (the CLI derives one from the body) answers
    the kit it made; with another body it is a 409 `idempotency_conflict`.
  * `PATCH /brand-kits/{id}` writes `title`, `company_*`, `tagline`, the three word
    lists, `colors`, `fonts`; arrays replace wholesale; texts (not `title`) may be nulled,
    lists may not. Any other field (`is_default`, `id`, ...) is a 422 `extra_forbidden`;
    an empty patch changes nothing, `updated_at` included. Answers the whole kit.
  * `GET /brand-kits/{id}` keeps the kit at the root (the CLI also reads a
    `{brand_kit, id, uuid}` wrapper, but falls back to the root, where the proxy's legacy
    translation adds `team_id`).
  * Promptless remix: a new canvas at once, a synthetic `task_` id (GET answers 404),
    credits_used 0.
  * The audit log (`GET /events`) records successful writes only, so reading lists never
    moves them.
  * Webhooks: `callback_url` is https only (http too with allow_http_callbacks), else
    422 naming `body.callback_url`; a promptless remix with a callback fires
    `task.succeeded` at once.
  * `GET /whoami` answers `{user:{id,name,email}, team:{id,uuid,name},
    organization:{id,uuid,name}, plan, scopes, api_key_id, api_key:{id}, entitlements}`:
    plan `paid` (as /credits), the 13 documented scopes (none enforced), entitlements
    `{design_tasks, exports, uploads: true, max_active_tasks}`.
  * `GET /usage` (shape undocumented): `{api_key_id, from, to, requests, credits_used,
    daily:[{date, requests, credits_used}]}`, plus `by_operation:[{operation, requests}]`
    with `by_operation=true` (the CLI's flag). `requests` counts the audit log's writes,
    credits the tasks that finished in the window; `from`/`to` are ISO 8601 (UTC when
    naive, both ends included), `to` defaults to now, `from` to `to` minus `days` (the
    CLI's `--days`, 1-90, default 7). `days` with `from`, `from` after `to` or a window
    over 90 days are 400s; an `api_key_id` other than the caller's own is a 404.
  * Canvas pages are derived from the canvas id and category (slides 1920x1080, 5-12
    pages; carousel 1080x1350, 3-8; pdf 816x1056, 1-4; social, web-ads, diagram and
    others one page); the first of several is named `Cover`, the rest `Page N`.
  * Uploads answer 200 `{id, url, filename, mime_type, size_bytes, was_duplicate,
    folder_id: null}`; the same bytes again (per account) answer the first record with
    `was_duplicate: true`. Types: PNG, JPEG, WebP, PDF, PPTX (documented) plus GIF and SVG,
    taken from the part's type or, when that is generic, the file name; others are a 422
    `unsupported_file_type`. Over `upload_max_bytes` (default 25 MiB) is a 422
    `file_too_large`; a missing or empty `file` a 422 naming `body.file`. The sandbox has
    no drive: any well-formed `folder_id` is a 404 `folder_not_found`.
  * From-url never fetches: after the SSRF check (https only; no loopback, private,
    link-local, unspecified or multicast address in any spelling, no `localhost`,
    `*.localhost`, `*.internal`, `*.local` or metadata name; else a 422 naming
    `body.source_url`) it stores a fixed stand-in file whose type the extension names (an
    extensionless URL is a PNG). Unknown body fields are a 422 `extra_forbidden`, as the
    CLI expects.
  * Exports (not Tasks, not in /tasks, `task_` ids): `format` png|jpeg|pdf|pptx (`jpg`
    is `jpeg`; default png), `page_number` 1..pages, `pixel_ratio` 1-4 (decimals taken),
    `flatten` and `wait` booleans (default true). `wait=true` answers `completed` at once;
    `wait=false` answers `in_progress` and export-status says `running` (never `queued`:
    exports wait behind no queue) until `export_seconds` (default 3) have passed, then
    `completed`. Both carry `warnings` (`pdf_links_flattened` on every completed PDF, as
    the CLI knows). Several raster pages without `page_number` arrive as a `zip`;
    `total_pages` counts the pages in the artifact. mp4/gif need `page_number` (400) and
    then are a 422 `no_animation` (sandbox canvases are still). A queued or running design
    task that edits the canvas is a 409 `canvas_active_job` with `Retry-After: 10`.
    export-status without `task_id` is a 422; a task id of another canvas or none is a 404.
  * File URLs point at the sandbox itself (`/api/v2/images/ref/<uuid>?h=<hmac>`, export
    artifacts `/storage/exports/...`), outside `/v1` and fetched without the API key as
    Moda's signed URLs are; a wrong signature is a 404.
  * Every response carries `Moda-Cli-Latest-Version` (default 0.17.0) and
    `Moda-Cli-Minimum-Version` (default 0.0.0, settings): the sandbox never answers 426.
  * Timestamps are UTC ISO 8601 with microseconds and `+00:00`; seed data sits before
    2026-05-01.
  * Cursor TTLs are measured on the monotonic clock; `offset` is ignored on every cursor
    list.
"""

from collections.abc import AsyncIterator

from aiohttp import web

from proxy.clock import Clock
from proxy.sandbox.http import sandbox_middleware
from proxy.sandbox.keys import SANDBOX_STATE, SANDBOX_WEBHOOKS
from proxy.sandbox.routes_account import add_account_routes
from proxy.sandbox.routes_brand_kits import add_brand_kit_routes
from proxy.sandbox.routes_catalog import add_catalog_routes
from proxy.sandbox.routes_create import add_create_routes
from proxy.sandbox.routes_exports import add_export_routes
from proxy.sandbox.routes_storage import add_storage_routes
from proxy.sandbox.routes_tasks import add_task_routes
from proxy.sandbox.routes_uploads import add_upload_routes
from proxy.sandbox.settings import SandboxSettings
from proxy.sandbox.store import SandboxStore
from proxy.sandbox.webhooks import WebhookDispatcher

__all__ = ["SANDBOX_STATE", "SANDBOX_WEBHOOKS", "create_sandbox_app"]


def create_sandbox_app(settings: SandboxSettings, clock: Clock) -> web.Application:
    app = web.Application(middlewares=[sandbox_middleware])
    app[SANDBOX_STATE] = SandboxStore(settings, clock)
    app[SANDBOX_WEBHOOKS] = WebhookDispatcher(settings, clock)
    app.cleanup_ctx.append(_webhook_session)
    add_task_routes(app)
    add_create_routes(app)
    add_brand_kit_routes(app)
    add_catalog_routes(app)
    add_account_routes(app)
    add_upload_routes(app)
    add_export_routes(app)
    add_storage_routes(app)
    return app


async def _webhook_session(app: web.Application) -> AsyncIterator[None]:
    """Deliveries share one client session; waiters left at shutdown are cancelled."""
    dispatcher = app[SANDBOX_WEBHOOKS]
    await dispatcher.open()
    yield
    await dispatcher.close()
