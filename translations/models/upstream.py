"""Pydantic models of the upstream (2026-05-01) resources: contract tests and the sandbox check
themselves against these; translations never use them on the hot path."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Upstream(BaseModel):
    # moda-api.md §7: additive fields ship without a version bump, so unknown keys are allowed.
    model_config = ConfigDict(extra="allow")


class Progress(_Upstream):
    percent: int | None = None
    step: str | None = None
    message: str | None = None


class TaskError(_Upstream):
    message: str
    retryable: bool | None = None


class Credits(_Upstream):
    credits_used: int | None
    credits_remaining: int | None


class Links(_Upstream):
    self: str | None
    events: str | None
    cancel: str | None
    canvas: str | None


class Task(_Upstream):
    id: str
    kind: Literal["design", "export", "remix", "brand_kit_extract"]
    status: Literal["queued", "running", "succeeded", "failed", "canceled", "expired", "canceling"]
    created_at: str
    started_at: str | None
    completed_at: str | None
    progress: Progress | None
    attempt: int
    max_attempts: int
    input: dict[str, object]
    result: dict[str, object] | None
    error: TaskError | None
    credits: Credits | None
    links: Links
    retry_after_ms: int | None


class CursorPage(_Upstream):
    """A cursor list as Moda ships it (moda-api.md §2.6b); `total` null where it is not counted."""

    data: list[dict[str, object]]
    next_cursor: str | None
    returned: int
    has_more: bool
    limit: int
    total: int | None


class TaskList(CursorPage):
    """`GET /v1/tasks`: items are the full Task envelope."""

    data: list[Task]  # type: ignore[assignment]


class CanvasCreator(_Upstream):
    id: str
    name: str
    email: str


class Canvas(_Upstream):
    """A canvas record (moda-api.md §2.6): list and search items, and what the sandbox answers to
    `GET /v1/canvases/{id}` (Moda's own answer there is pseudo-HTML and CSS)."""

    id: str = Field(pattern=r"^cvs_[0-9A-HJKMNP-TV-Z]{26}$")
    name: str
    url: str
    category: str
    visibility: str
    created_at: str
    updated_at: str
    created_by: CanvasCreator


class CanvasList(CursorPage):
    data: list[Canvas]  # type: ignore[assignment]


class CanvasSearchPage(_Upstream):
    """`GET /v1/canvases/search`: an offset lane, without a total or a cursor."""

    canvases: list[Canvas]
    returned: int
    limit: int
    offset: int
    has_more: bool


class WhoamiUser(_Upstream):
    id: str
    email: str


class WhoamiTeam(_Upstream):
    id: str
    uuid: str
    name: str


class WhoamiOrganization(_Upstream):
    id: str
    uuid: str


class Whoami(_Upstream):
    """`GET /v1/whoami` as the official CLI parses it (moda-api.md §2.6b)."""

    user: WhoamiUser
    team: WhoamiTeam
    organization: WhoamiOrganization | None
    plan: str
    scopes: list[str]
    api_key_id: str
    entitlements: dict[str, object]


class UsageDay(_Upstream):
    date: str
    requests: int
    credits_used: int


class UsageOperation(_Upstream):
    operation: str
    requests: int


class Usage(_Upstream):
    """`GET /v1/usage`: the shape is undocumented; this is the sandbox's (see its docstring)."""

    api_key_id: str
    from_: str = Field(alias="from")
    to: str
    requests: int
    credits_used: int
    daily: list[UsageDay]
    by_operation: list[UsageOperation] | None = None


class CanvasPage(_Upstream):
    page_number: int
    name: str
    width: int
    height: int
    node_count: int


class CanvasPages(_Upstream):
    """`GET /v1/canvases/{id}/pages` (moda-api.md §1)."""

    canvas_name: str
    total_pages: int
    pages: list[CanvasPage]


class FileUpload(_Upstream):
    """`POST /v1/uploads` and `/v1/uploads/from-url`: the FileUploadResponse (moda-api.md §1)."""

    id: str = Field(pattern=r"^file_[0-9A-HJKMNP-TV-Z]{26}$")
    url: str
    filename: str
    mime_type: str
    size_bytes: int
    was_duplicate: bool


class ExportWarning(_Upstream):
    code: str
    message: str


class CanvasExport(_Upstream):
    """`POST /v1/canvases/{id}/export` (moda-api.md §2.9): not a Task envelope."""

    canvas_id: str
    canvas_url: str
    format: str
    status: Literal["completed", "in_progress"]
    url: str | None
    task_id: str | None
    retry_after_seconds: int | None
    total_pages: int
    warnings: list[ExportWarning] | None = None


class ExportStatus(_Upstream):
    """`GET /v1/canvases/{id}/export-status?task_id=` (moda-api.md §2.9)."""

    task_id: str
    status: Literal["queued", "running", "completed", "failed"]
    is_terminal: bool
    canvas_id: str
    canvas_url: str
    format: str
    url: str | None
    error: str | None
    retry_after_seconds: int | None
    total_pages: int
    warnings: list[ExportWarning] | None = None


class BrandKitColor(_Upstream):
    color: str
    label: str | None


class BrandKitFont(_Upstream):
    family: str
    label: str | None
    weight: int | None
    supported: bool | None


class BrandKitLogoGroup(_Upstream):
    group_name: str
    images: list[dict[str, object]]


class BrandKit(_Upstream):
    """A brand kit record (moda-api.md §2.6): list items, GET, create from fields, PATCH."""

    id: str = Field(pattern=r"^bk_[0-9A-HJKMNP-TV-Z]{26}$")
    title: str
    is_default: bool
    created_at: str
    updated_at: str
    company_name: str | None
    company_url: str | None
    company_description: str | None
    tagline: str | None
    brand_values: list[str]
    brand_aesthetic: list[str]
    brand_tone_of_voice: list[str]
    colors: list[BrandKitColor]
    fonts: list[BrandKitFont]
    logos: list[BrandKitLogoGroup]


class BrandKitList(CursorPage):
    data: list[BrandKit]  # type: ignore[assignment]


class OrganizationTeam(_Upstream):
    id: str
    name: str
    is_default: bool


class Organization(_Upstream):
    """An item of `GET /v1/organizations` (moda-api.md §2.6): role-scoped, with its teams."""

    id: str
    name: str
    role: str
    teams: list[OrganizationTeam]


class OrganizationList(CursorPage):
    data: list[Organization]  # type: ignore[assignment]


class Event(_Upstream):
    """An item of `GET /v1/events`: Moda documents the list, not its items; this is the
    sandbox's record of one write."""

    id: str = Field(pattern=r"^evt_[0-9A-HJKMNP-TV-Z]{26}$")
    type: str
    created_at: str
    method: str
    path: str
    status: int


class EventList(CursorPage):
    data: list[Event]  # type: ignore[assignment]


class AccountCredits(_Upstream):
    """`GET /v1/credits`, as captured live (moda-api.md §9)."""

    credits_limit: int
    credits_remaining: int
    credits_reset_date: str | None
    plan: str
