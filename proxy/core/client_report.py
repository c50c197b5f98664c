"""The migration report: who still sends legacy traffic, on which routes, and how much. Pure.

Windows are read from slots, so each may reach one step further back than its name says: the last
hour is counted in five-minute slots, the last day in hour slots, the last seven days and the
daily series in whole UTC days.
"""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from proxy.core.client_usage import (
    DAY,
    ERRORS,
    FIVE_MINUTES,
    HOUR,
    OTHER,
    ROUTE,
    VERSION,
    ClientMeta,
    Counts,
    Limits,
    Step,
    UsageSnapshot,
    add_capped,
    add_counts,
)

OTHER_NAME: Final = "other clients"
_HOUR_SECONDS: Final = 3600
_DAY_SECONDS: Final = 86400
_WEEK_SECONDS: Final = 7 * _DAY_SECONDS


def timestamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")


def _window(snapshot: UsageSnapshot, step: Step, now: float, seconds: int) -> dict[str, Counts]:
    """Each client's counts summed over the slots of `step` that overlap the last `seconds`."""
    oldest = step.slot(now - seconds)
    summed: dict[str, Counts] = {}
    for slot, by_client in snapshot.slots[step.name].items():
        if slot < oldest:
            continue
        for fingerprint, fields in by_client.items():
            add_counts(summed.setdefault(fingerprint, {}), fields)
    return summed


def _routes(fields: Counts, most: int) -> dict[str, int]:
    ranked = sorted(
        ((name.removeprefix(ROUTE), count) for name, count in fields.items() if name[:2] == ROUTE),
        key=lambda item: (-item[1], item[0]),
    )
    routes: Counts = {}
    add_capped(routes, dict(ranked), most)
    return routes


def _legacy_count(fields: Counts, upstream: str) -> int:
    return sum(
        count
        for name, count in fields.items()
        if name.startswith(VERSION) and name != VERSION + upstream
    )


def _version_count(fields: Counts) -> int:
    return sum(count for name, count in fields.items() if name.startswith(VERSION))


def _header_use(flags: Counts) -> str:
    pinned, unpinned = flags.get("pinned", 0), flags.get("unpinned", 0)
    if pinned and unpinned:
        return "sometimes"
    return "always" if pinned else "never"


def _client(
    fingerprint: str,
    meta: ClientMeta,
    windows: Mapping[str, dict[str, Counts]],
    upstream: str,
    names: Mapping[str, str],
    limits: Limits,
) -> dict[str, Any]:
    last_hour = windows["hour"].get(fingerprint, {})
    last_day = windows["day"].get(fingerprint, {})
    agents = sorted(meta.agents.items(), key=lambda item: (-item[1], item[0]))
    return {
        "fingerprint": fingerprint,
        "name": OTHER_NAME if fingerprint == OTHER else names.get(fingerprint),
        "version": meta.version,
        "legacy": meta.version != upstream,
        "first_seen": timestamp(meta.first_seen),
        "last_seen": timestamp(meta.last_seen),
        "sends_moda_version": _header_use(meta.flags),
        "requests_last_hour": _routes(last_hour, limits.max_routes),
        "requests_last_day": _routes(last_day, limits.max_routes),
        "legacy_requests_last_day": _legacy_count(last_day, upstream),
        "errors_last_hour": last_hour.get(ERRORS, 0),
        "user_agents": [agent for agent, _ in agents],
        "uses": {
            "waits": meta.flags.get("waits", 0) > 0,
            "webhooks": meta.flags.get("webhooks", 0) > 0,
            "derived_fields": meta.flags.get("derived", 0) > 0,
        },
    }


def _daily_series(snapshot: UsageSnapshot, now: float, days: int, upstream: str) -> list[Any]:
    today = DAY.slot(now)
    slots = snapshot.slots[DAY.name]
    series = []
    for slot in range(today - days + 1, today + 1):
        by_client = slots.get(slot, {})
        legacy = sum(_legacy_count(fields, upstream) for fields in by_client.values())
        series.append({"day": timestamp(slot * DAY.seconds)[:10], "legacy_requests": legacy})
    return series


def _summary(snapshot: UsageSnapshot, now: float, upstream: str, days: int) -> dict[str, Any]:
    day = _window(snapshot, HOUR, now, _DAY_SECONDS)
    week = _window(snapshot, DAY, now, _WEEK_SECONDS)
    legacy = sum(_legacy_count(fields, upstream) for fields in day.values())
    total = sum(_version_count(fields) for fields in day.values())
    return {
        "legacy_clients_last_day": sum(_legacy_count(f, upstream) > 0 for f in day.values()),
        "legacy_clients_last_week": sum(_legacy_count(f, upstream) > 0 for f in week.values()),
        "requests_last_day": total,
        "legacy_requests_last_day": legacy,
        "legacy_share_last_day": round(legacy / total, 4) if total else 0.0,
        "legacy_requests_by_day": _daily_series(snapshot, now, days, upstream),
    }


def build_report(
    snapshot: UsageSnapshot,
    now: float,
    *,
    upstream: str,
    names: Mapping[str, str],
    limits: Limits,
) -> dict[str, Any]:
    """The report as JSON: a summary, then every client, legacy ones first, latest seen first."""
    windows = {
        "hour": _window(snapshot, FIVE_MINUTES, now, _HOUR_SECONDS),
        "day": _window(snapshot, HOUR, now, _DAY_SECONDS),
    }
    ordered = sorted(
        snapshot.clients.items(),
        key=lambda item: (item[1].version == upstream, -item[1].last_seen, item[0]),
    )
    return {
        "generated_at": timestamp(now),
        "upstream_version": upstream,
        "retention_days": limits.retention_days,
        "summary": _summary(snapshot, now, upstream, limits.retention_days),
        "clients": [_client(fp, meta, windows, upstream, names, limits) for fp, meta in ordered],
    }
