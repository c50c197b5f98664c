"""The migration report as plain text for a terminal: the summary, then one table row per client."""

from typing import Any, Final

_COLUMNS: Final = (
    "CLIENT",
    "VERSION",
    "SERVED",
    "MODA-VERSION",
    "LAST SEEN",
    "REQ 1H",
    "REQ 24H",
    "ERR 1H",
    "USES",
)
_SHORT_FINGERPRINT: Final = 12
_DAYS_SHOWN: Final = 7


def _row(client: dict[str, Any]) -> tuple[str, ...]:
    uses = ",".join(use for use, used in client["uses"].items() if used)
    return (
        client["name"] or client["fingerprint"][:_SHORT_FINGERPRINT],
        client["version"],
        "legacy" if client["legacy"] else "current",
        client["sends_moda_version"],
        client["last_seen"].replace("T", " ").removesuffix("+00:00"),
        str(sum(client["requests_last_hour"].values())),
        str(sum(client["requests_last_day"].values())),
        str(client["errors_last_hour"]),
        uses or "-",
    )


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def format_report(report: dict[str, Any]) -> str:
    summary = report["summary"]
    days = summary["legacy_requests_by_day"][-_DAYS_SHOWN:]
    lines = [
        f"Migration report, {report['generated_at']} (upstream {report['upstream_version']})",
        f"Legacy clients active: {summary['legacy_clients_last_day']} in the last 24 h, "
        f"{summary['legacy_clients_last_week']} in the last 7 days",
        f"Legacy share of requests, last 24 h: {summary['legacy_share_last_day'] * 100:.1f} % "
        f"({summary['legacy_requests_last_day']} of {summary['requests_last_day']})",
        "Legacy requests per day: "
        + "  ".join(f"{day['day'][5:]} {day['legacy_requests']}" for day in days),
        "",
    ]
    clients = report["clients"]
    if not clients:
        return "\n".join([*lines, "No client seen yet.", ""])
    return "\n".join([*lines, *_table([_COLUMNS, *(_row(client) for client in clients)]), ""])
