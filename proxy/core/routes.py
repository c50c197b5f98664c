"""Routes as method + path template, and a table that matches a request against them. Pure."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final, NamedTuple


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    template: str
    # Computed once: a route keys several plan lookups and labels every request it serves.
    label: str = field(init=False, compare=False, repr=False)
    _hash: int = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "label", f"{self.method} {self.template}")
        object.__setattr__(self, "_hash", hash((self.method, self.template)))

    def __hash__(self) -> int:
        return self._hash

    def __str__(self) -> str:
        return self.label

    @property
    def segments(self) -> tuple[str, ...]:
        return tuple(self.template.strip("/").split("/"))


class RouteMatch(NamedTuple):
    route: Route
    params: Mapping[str, str]


def _is_placeholder(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")


# A template segment: the literal text it must equal, or the parameter name it binds.
_Segment = tuple[str | None, str | None]
_Candidates = list[tuple[Route, tuple[_Segment, ...]]]


def _compiled(route: Route) -> tuple[Route, tuple[_Segment, ...]]:
    return route, tuple(
        (None, segment[1:-1]) if _is_placeholder(segment) else (segment, None)
        for segment in route.segments
    )


def _specificity(entry: tuple[Route, tuple[_Segment, ...]]) -> int:
    return sum(name is not None for _, name in entry[1])


# The segment that tells most routes of one shape apart: the collection after `/v1`.
_KEY_SEGMENT: Final = 1


@dataclass(frozen=True, slots=True)
class RouteTable:
    """Matches literal segments first: `/v1/canvases/search` beats `/v1/canvases/{id}`.

    Candidates are indexed by method, segment count and the collection segment (`tasks` in
    `/v1/tasks/{id}`), so a request is compared with the few routes that could take it."""

    routes: tuple[Route, ...]
    _by_key: dict[tuple[str, int, str], _Candidates] = field(init=False, repr=False, compare=False)
    _by_shape: dict[tuple[str, int], _Candidates] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_shape: dict[tuple[str, int], _Candidates] = {}
        for route in self.routes:
            by_shape.setdefault((route.method, len(route.segments)), []).append(_compiled(route))
        by_key: dict[tuple[str, int, str], _Candidates] = {}
        for (method, count), candidates in by_shape.items():
            candidates.sort(key=_specificity)
            if count <= _KEY_SEGMENT:
                continue
            literals = {template[_KEY_SEGMENT][0] for _, template in candidates}
            for literal in literals - {None}:
                by_key[(method, count, str(literal))] = [
                    entry for entry in candidates if entry[1][_KEY_SEGMENT][0] in (literal, None)
                ]
            # A collection no template names: only templates with a placeholder there can match.
            by_shape[(method, count)] = [
                entry for entry in candidates if entry[1][_KEY_SEGMENT][0] is None
            ]
        object.__setattr__(self, "_by_key", by_key)
        object.__setattr__(self, "_by_shape", by_shape)

    @classmethod
    def of(cls, routes: Iterable[Route]) -> "RouteTable":
        return cls(tuple(dict.fromkeys(routes)))

    def match(self, method: str, path: str) -> RouteMatch | None:
        segments = path.strip("/").split("/")
        count = len(segments)
        candidates = None
        if count > _KEY_SEGMENT:
            candidates = self._by_key.get((method, count, segments[_KEY_SEGMENT]))
        if candidates is None:
            candidates = self._by_shape.get((method, count), [])
        for route, template in candidates:
            params = _bind(template, segments)
            if params is not None:
                return RouteMatch(route, params)
        return None


def _bind(template: tuple[_Segment, ...], segments: list[str]) -> dict[str, str] | None:
    params: dict[str, str] = {}
    for (literal, name), actual in zip(template, segments):  # noqa: B905 (same length by shape)
        if name is None:
            if literal != actual:
                return None
        elif not actual:
            return None
        else:
            params[name] = actual
    return params


def render_path(route: Route, params: Mapping[str, str]) -> str:
    """`route`'s template with its placeholders filled from `params` (raw, as matched)."""
    return "/" + "/".join(
        params[segment[1:-1]] if _is_placeholder(segment) else segment for segment in route.segments
    )
