"""Canvas exports (moda-api.md §2.9): not Tasks, with their own status words.

An export renders for `export_seconds` after it starts, then is `completed` with a signed
artifact URL; one started with `wait=true` is answered completed at once. Status is
computed from the clock on every read, like a task's.
"""

import math
from dataclasses import dataclass, field
from typing import Final

from proxy.core.payload import JSONObject
from proxy.sandbox.file_types import PPTX

MIME_TYPES: Final = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "pdf": "application/pdf",
    "pptx": PPTX,
    "zip": "application/zip",
}
_PDF_WARNING: Final = {
    "code": "pdf_links_flattened",
    "message": "Hyperlinks are flattened to text in PDF output.",
    "severity": "info",
    "details": None,
}


@dataclass
class Export:
    task_id: str
    canvas_id: str
    canvas_url: str
    format: str
    total_pages: int
    started: float
    render_seconds: float
    url: str
    warnings: list[JSONObject] = field(default_factory=list)

    def is_done(self, now: float) -> bool:
        return now - self.started >= self.render_seconds

    def seconds_left(self, now: float) -> int | None:
        """Whole seconds until done, at least 1 (a poll hint); None once done."""
        if self.is_done(now):
            return None
        return max(1, math.ceil(self.render_seconds - (now - self.started)))


def delivered_format(requested: str, page_number: int | None, total_pages: int) -> str:
    """Several raster pages arrive bundled as a zip, and the answer says so (the CLI's rule)."""
    if requested in {"png", "jpeg"} and page_number is None and total_pages > 1:
        return "zip"
    return requested


def warnings_for(delivered: str) -> list[JSONObject]:
    return [dict(_PDF_WARNING)] if delivered == "pdf" else []


def render_export(export: Export, now: float) -> JSONObject:
    """The answer of `POST /canvases/{id}/export`: `completed`, or `in_progress` to poll."""
    done = export.is_done(now)
    return {
        "canvas_id": export.canvas_id,
        "canvas_url": export.canvas_url,
        "format": export.format,
        "status": "completed" if done else "in_progress",
        "url": export.url if done else None,
        "task_id": export.task_id,
        "retry_after_seconds": export.seconds_left(now),
        "total_pages": export.total_pages,
        "warnings": list(export.warnings) if done else [],
    }


def render_export_status(export: Export, now: float) -> JSONObject:
    """The answer of `GET /canvases/{id}/export-status`: `running` until `completed`."""
    done = export.is_done(now)
    return {
        "task_id": export.task_id,
        "status": "completed" if done else "running",
        "is_terminal": done,
        "canvas_id": export.canvas_id,
        "canvas_url": export.canvas_url,
        "format": export.format,
        "url": export.url if done else None,
        "error": None,
        "retry_after_seconds": export.seconds_left(now),
        "total_pages": export.total_pages,
        "warnings": list(export.warnings) if done else [],
    }
