"""Pydantic models of what a 2026-04-12 client receives: the contract tests hold every translated
body to them, so a legacy client never meets a key or a value the old API could not have sent."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, NonNegativeInt


class Credits(BaseModel):
    model_config = ConfigDict(extra="forbid")
    credits_used: int | None
    credits_remaining: int | None


class JobResponse(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    job_id: str
    status: Literal["queued", "running", "completed", "failed", "cancelled"]
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
    can_export: bool
    retry_after_seconds: NonNegativeInt | None
    credits: Credits | None
    source_canvas_id: str | None = None
