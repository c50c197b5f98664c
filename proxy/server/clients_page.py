"""The migration report as one small HTML page: no script, an inline SVG chart, a plain table.

Each row and cell carries `data-` attributes naming what it shows, so the page is as easy to read
for a program as the JSON is.
"""

from collections.abc import Iterable, Mapping
from html import escape
from typing import Any, Final

_CHART_WIDTH: Final = 720
_CHART_HEIGHT: Final = 160
_CHART_BASE: Final = 130
_STYLE: Final = """
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1400px;padding:0 1rem;
color:#1d232b;background:#fafafa}
h1{font-size:1.5rem;margin-bottom:.2rem}.meta{color:#5c6670;margin-top:0}
.summary{display:flex;gap:1rem;flex-wrap:wrap;margin:1.2rem 0}
.card{background:#fff;border:1px solid #dde2e7;border-radius:8px;padding:.8rem 1rem;min-width:11rem}
.card b{display:block;font-size:1.7rem}
figure{background:#fff;border:1px solid #dde2e7;border-radius:8px;margin:0 0 1.5rem;padding:1rem}
figcaption{font-weight:600;margin-bottom:.5rem}svg text{font-size:11px;fill:#5c6670}
table{border-collapse:collapse;width:100%;background:#fff;font-size:14px}
th,td{border-bottom:1px solid #e6e9ec;padding:.45rem .5rem;text-align:left;vertical-align:top}
th{background:#f0f2f4}tr.legacy td:first-child{border-left:4px solid #d9822b}
tr.current td:first-child{border-left:4px solid #3d9a5f}
.tag{display:inline-block;border-radius:4px;padding:0 .35rem;margin:0 .2rem .2rem 0;
background:#eef1f4;font-size:12px}
.fp{font-family:ui-monospace,monospace;font-size:12px;word-break:break-all;max-width:10rem;
display:inline-block}
details summary{cursor:pointer}ul{margin:.3rem 0;padding-left:1.1rem}
.nowrap{white-space:nowrap}.scroll{overflow-x:auto}td[data-field=user_agents]{max-width:14rem}
"""


def _attrs(**values: str) -> str:
    return "".join(
        f' data-{name.replace("_", "-")}="{escape(value)}"' for name, value in values.items()
    )


def _card(field: str, value: str, label: str) -> str:
    return f'<div class="card"{_attrs(summary=field)}><b>{escape(value)}</b>{escape(label)}</div>'


def _chart(series: list[dict[str, Any]]) -> str:
    most = max((day["legacy_requests"] for day in series), default=0) or 1
    step = _CHART_WIDTH / max(len(series), 1)
    bars = []
    for index, day in enumerate(series):
        count = day["legacy_requests"]
        height = round(count / most * (_CHART_BASE - 20), 1)
        x = round(index * step + step * 0.15, 1)
        width = round(step * 0.7, 1)
        label = f"{day['day']}: {count} legacy requests"
        bars.append(
            f"<g{_attrs(day=day['day'], requests=str(count))}><title>{escape(label)}</title>"
            f'<rect x="{x}" y="{_CHART_BASE - height}" width="{width}" height="{height}" '
            f'fill="#d9822b" rx="2"></rect>'
            f'<text x="{x + width / 2}" y="{_CHART_BASE - height - 4}" text-anchor="middle">'
            f"{count}</text>"
            f'<text x="{x + width / 2}" y="{_CHART_BASE + 16}" text-anchor="middle">'
            f"{escape(day['day'][5:])}</text></g>"
        )
    return (
        f'<svg role="img" aria-label="Legacy requests per day" viewBox="0 0 {_CHART_WIDTH} '
        f'{_CHART_HEIGHT}" width="100%" height="{_CHART_HEIGHT}">'
        f'<line x1="0" y1="{_CHART_BASE}" x2="{_CHART_WIDTH}" y2="{_CHART_BASE}" '
        f'stroke="#c3c9cf"></line>{"".join(bars)}</svg>'
    )


def _routes(field: str, routes: Mapping[str, int]) -> str:
    total = sum(routes.values())
    if not routes:
        return f"<td{_attrs(field=field, total='0')}>0</td>"
    items = "".join(
        f"<li{_attrs(route=route, requests=str(count))}>{escape(route)}: {count}</li>"
        for route, count in routes.items()
    )
    return (
        f"<td{_attrs(field=field, total=str(total))}><details><summary>{total}</summary>"
        f"<ul>{items}</ul></details></td>"
    )


def _tags(field: str, names: Iterable[str]) -> str:
    tags = "".join(f'<span class="tag">{escape(name)}</span>' for name in names)
    return f"<td{_attrs(field=field)}>{tags or '-'}</td>"


def _cell(field: str, text: str) -> str:
    return f'<td class="nowrap"{_attrs(field=field)}>{escape(text)}</td>'


def _time(field: str, stamp: str) -> str:
    shown = stamp.replace("T", " ").removesuffix("+00:00")
    return f'<td{_attrs(field=field)}><time datetime="{escape(stamp)}">{escape(shown)}</time></td>'


def _row(client: dict[str, Any]) -> str:
    name = client["name"]
    label = f"<b>{escape(name)}</b><br>" if name else ""
    uses = [use.replace("_", " ") for use, used in client["uses"].items() if used]
    return "".join(
        (
            f'<tr class="{"legacy" if client["legacy"] else "current"}"'
            f"{_attrs(fingerprint=client['fingerprint'])}>",
            f'<td{_attrs(field="client")}>{label}<span class="fp">'
            f"{escape(client['fingerprint'])}</span></td>",
            _cell("version", client["version"]),
            _cell("legacy", "legacy" if client["legacy"] else "current"),
            _cell("sends_moda_version", client["sends_moda_version"]),
            _time("first_seen", client["first_seen"]),
            _time("last_seen", client["last_seen"]),
            _routes("requests_last_hour", client["requests_last_hour"]),
            _routes("requests_last_day", client["requests_last_day"]),
            _cell("errors_last_hour", str(client["errors_last_hour"])),
            _tags("uses", uses),
            _tags("user_agents", client["user_agents"]),
            "</tr>",
        )
    )


_HEADINGS: Final = (
    "Client",
    "Version",
    "Served",
    "Sends Moda-Version",
    "First seen (UTC)",
    "Last seen (UTC)",
    "Requests, 1 h",
    "Requests, 24 h",
    "Errors, 1 h",
    "Uses",
    "User agents",
)


def render_page(report: dict[str, Any]) -> str:
    summary = report["summary"]
    share = f"{summary['legacy_share_last_day'] * 100:.1f} %"
    cards = "".join(
        (
            _card(
                "legacy_clients_last_day",
                str(summary["legacy_clients_last_day"]),
                "legacy clients active in the last 24 h",
            ),
            _card(
                "legacy_clients_last_week",
                str(summary["legacy_clients_last_week"]),
                "legacy clients active in the last 7 days",
            ),
            _card("legacy_share_last_day", share, "of requests in the last 24 h were legacy"),
        )
    )
    headings = "".join(f"<th>{escape(heading)}</th>" for heading in _HEADINGS)
    rows = "".join(_row(client) for client in report["clients"])
    empty = f'<tr><td colspan="{len(_HEADINGS)}">No client seen yet.</td></tr>'
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>Migration report · moda-compat-proxy</title><style>{_STYLE}</style></head><body>"
        "<h1>Who still needs the proxy</h1>"
        f'<p class="meta">Generated {escape(report["generated_at"])} · upstream version '
        f"{escape(report['upstream_version'])} · counts kept {report['retention_days']} days "
        f"after a client was last seen</p>"
        f'<section class="summary">{cards}</section>'
        "<figure><figcaption>Legacy requests per day (UTC)</figcaption>"
        f"{_chart(summary['legacy_requests_by_day'])}</figure>"
        f'<div class="scroll"><table><thead><tr>{headings}</tr></thead>'
        f"<tbody>{rows or empty}</tbody></table></div>"
        "</body></html>"
    )
