"""Reads the migration report's HTML page with html.parser, by its `data-` attributes."""

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Row:
    fingerprint: str
    css_class: str
    cells: dict[str, str] = field(default_factory=dict)
    routes: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass
class Page:
    summary: dict[str, str] = field(default_factory=dict)
    bars: list[tuple[str, int]] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    scripts: int = 0
    empty_text: str = ""


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.page = Page()
        self._summary: str | None = None
        self._cell: str | None = None
        self._in_bold = False
        self._in_body_cell = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        data = {name: value or "" for name, value in attrs}
        if tag == "script":
            self.page.scripts += 1
        if "data-summary" in data:
            self._summary = data["data-summary"]
        if tag == "b" and self._summary is not None:
            self._in_bold = True
        if tag == "g" and "data-day" in data:
            self.page.bars.append((data["data-day"], int(data["data-requests"])))
        if tag == "tr" and "data-fingerprint" in data:
            self.page.rows.append(Row(data["data-fingerprint"], data.get("class", "")))
        if tag == "td":
            self._in_body_cell = True
            self._cell = data.get("data-field")
            if self._cell is not None:
                self.page.rows[-1].cells[self._cell] = ""
        if tag == "li" and "data-route" in data and self._cell is not None:
            routes = self.page.rows[-1].routes.setdefault(self._cell, {})
            routes[data["data-route"]] = int(data["data-requests"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "b" and self._in_bold:
            self._in_bold = False
            self._summary = None
        if tag == "td":
            self._cell = None
            self._in_body_cell = False

    def handle_data(self, data: str) -> None:
        if self._in_bold and self._summary is not None:
            self.page.summary[self._summary] = data
        elif self._cell is not None:
            self.page.rows[-1].cells[self._cell] += data
        elif self._in_body_cell:
            self.page.empty_text += data


def parse_page(html: str) -> Page:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.page
