"""The `sandbox` config section: knobs of the in-memory Moda API (timings, limits, secrets and
seed sizes). Plain settings the sandbox reads; config never imports the sandbox itself."""

from pydantic import BaseModel, ConfigDict, Field, NonNegativeFloat


class SandboxSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    queued_seconds: float = Field(
        default=2.0,
        ge=0,
        description="How long a new task stays queued before it runs.",
    )
    running_seconds: float = Field(
        default=8.0,
        gt=0,
        description="How long a task runs; its progress rises linearly meanwhile.",
    )
    cancel_ack_seconds: float = Field(
        default=3.0,
        ge=0,
        description="Delay before a `#slow-cancel` task acknowledges a cancel.",
    )
    max_active_tasks: int = Field(
        default=10,
        ge=1,
        description="Queued+running design/remix tasks per credential before 429.",
    )
    max_wait_seconds: float = Field(
        default=30.0, ge=0, description="Server cap on `Prefer: wait=N`."
    )
    cursor_secret: str = Field(
        default="sandbox-dev-cursor-secret",
        min_length=1,
        description="HMAC key that signs pagination cursors.",
    )
    cursor_ttl_seconds: float = Field(
        default=3600.0, gt=0, description="How long a pagination cursor stays valid."
    )
    webhook_signing_secret: str = Field(
        default="whsec_sandbox",
        min_length=1,
        description="Webhook signing secret shared by every API key in the sandbox.",
    )
    allow_http_callbacks: bool = Field(
        default=False,
        description="Accept plain http:// callback URLs (loopback receivers in tests).",
    )
    webhook_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="A delivery without a response within this fails.",
    )
    webhook_retry_delays: tuple[NonNegativeFloat, ...] = Field(
        default=(1.0, 5.0, 30.0),
        description="Pauses before each retry of a failed delivery; then dropped.",
    )
    credits_limit: int = Field(
        default=1500,
        ge=0,
        description="Credits each sandbox account starts a period with.",
    )
    seed_canvases: int = Field(default=45, ge=0, description="Canvases seeded per credential.")
    seed_brand_kits: int = Field(default=3, ge=0, description="Brand kits seeded per credential.")
    seed_organizations: int = Field(
        default=2,
        ge=1,
        description="Organizations per credential; the first is the caller's.",
    )
    seed_events: int = Field(
        default=60, ge=0, description="Audit-log events seeded per credential."
    )
    seed_tasks: int = Field(
        default=25,
        ge=0,
        description="Finished historical tasks (mixed statuses) per credential.",
    )
    export_seconds: float = Field(
        default=3.0,
        ge=0,
        description="How long an export started with `wait=false` renders before completing.",
    )
    storage_signing_secret: str = Field(
        default="sandbox-dev-storage-secret",
        min_length=1,
        description="HMAC key that signs the URLs of uploaded files and export artifacts.",
    )
    upload_max_bytes: int = Field(
        default=25 * 1024 * 1024,
        ge=1,
        description="Largest file `POST /v1/uploads` accepts; bigger ones are a 422.",
    )
    cli_latest_version: str = Field(
        default="0.17.0",
        min_length=1,
        description="Sent as `Moda-Cli-Latest-Version`: the newest official CLI release.",
    )
    cli_minimum_version: str = Field(
        default="0.0.0",
        min_length=1,
        description="Sent as `Moda-Cli-Minimum-Version`; the sandbox never refuses an older CLI.",
    )
