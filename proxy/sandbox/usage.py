"""`GET /v1/usage`: one API key's activity over a window of at most 90 days (default 7).

Moda documents the query (`api_key_id`, `from`, `to`) but not the answer, so the sandbox
answers the plainest summary of what it knows: the writes its audit log recorded and the
credits its tasks spent, in total, per UTC day and, when asked, per operation.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Final

from aiohttp import web

from proxy.core.payload import JSONObject
from proxy.sandbox.account import Account
from proxy.sandbox.errors import not_found
from proxy.sandbox.paths import normalize_id
from proxy.sandbox.queries import bad_query, parse_bool, parse_int
from proxy.sandbox.stamps import iso

MAX_WINDOW: Final = timedelta(days=90)
DEFAULT_DAYS: Final = 7


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    def holds(self, moment: datetime) -> bool:
        return self.start <= moment <= self.end

    def days(self) -> list[date]:
        first, last = self.start.date(), self.end.date()
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def usage_window(request: web.Request, now: datetime) -> Window:
    """`from`/`to` (ISO 8601, UTC when no offset); `to` defaults to now, `from` to `to`
    minus `days` (the CLI's `--days`, default 7). `days` beside `from` is a 400."""
    params = request.query
    end = _moment(params.get("to"), "to") or now
    start = _moment(params.get("from"), "from")
    days = params.get("days")
    if start is not None and days is not None:
        raise bad_query("days", "Send either from or days, not both.", days, code="conflict")
    if start is None:
        start = end - timedelta(days=parse_int(days, "days", 1, 90, DEFAULT_DAYS))
    if start > end:
        raise bad_query("from", "from must not be after to.", iso(start), code="after_to")
    if end - start > MAX_WINDOW:
        raise bad_query("from", "The window may span at most 90 days.", iso(start), code="too_long")
    return Window(start, end)


def _moment(raw: str | None, name: str) -> datetime | None:
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise bad_query(
            name, f"{name} must be an ISO 8601 date or date-time.", raw, code="invalid_datetime"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def check_api_key(request: web.Request, account: Account) -> None:
    """Only the caller's own key exists in its sandbox account; any other is unknown."""
    raw = request.query.get("api_key_id")
    if raw is None:
        return
    key_id = normalize_id(raw, "ak", "query.api_key_id")
    if key_id != account.me.api_key_id:
        raise not_found(f"API key {key_id} not found")


def wants_by_operation(request: web.Request) -> bool:
    return parse_bool(request.query.get("by_operation"), "by_operation", default=False)


def usage_summary(account: Account, window: Window, *, by_operation: bool) -> JSONObject:
    writes = [
        (datetime.fromisoformat(event["created_at"]), str(event["type"]))
        for event in account.events.newest_first()
    ]
    writes = [(moment, kind) for moment, kind in writes if window.holds(moment)]
    spent = [
        (completed, int(task.credits.get("credits_used") or 0))
        for task in account.tasks.newest_first()
        if task.credits is not None
        and window.holds(completed := task.wall_at(task.terminal_at).astimezone(UTC))
    ]
    requests_by_day = Counter(moment.date() for moment, _ in writes)
    credits_by_day: Counter[date] = Counter()
    for moment, used in spent:
        credits_by_day[moment.date()] += used
    summary: JSONObject = {
        "api_key_id": account.me.api_key_id,
        "from": iso(window.start),
        "to": iso(window.end),
        "requests": len(writes),
        "credits_used": sum(used for _, used in spent),
        "daily": [
            {
                "date": day.isoformat(),
                "requests": requests_by_day[day],
                "credits_used": credits_by_day[day],
            }
            for day in window.days()
        ],
    }
    if by_operation:
        per_kind = Counter(kind for _, kind in writes)
        summary["by_operation"] = [
            {"operation": kind, "requests": count} for kind, count in sorted(per_kind.items())
        ]
    return summary
