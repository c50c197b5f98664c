"""Routes as method + path template, and a table that matches a request against them. Pure."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    template: str

    def __str__(self) -> str:
        return f"{self.method} {self.template}"

    @property
    def segments(self) -> tuple[str, ...]:
        return tuple(self.template.strip("/").split("/"))


@dataclass(frozen=True, slots=True)
class RouteMatch:
    route: Route
    params: Mapping[str, str]


def _is_placeholder(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")


@dataclass(frozen=True, slots=True)
class RouteTable:
    """Matches literal segments first: `/v1/canvases/search` beats `/v1/canvases/{id}`."""

    routes: tuple[Route, ...]
    _by_shape: dict[tuple[str, int], list[Route]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_shape: dict[tuple[str, int], list[Route]] = {}
        for route in self.routes:
            by_shape.setdefault((route.method, len(route.segments)), []).append(route)
        for candidates in by_shape.values():
            candidates.sort(key=lambda r: sum(_is_placeholder(s) for s in r.segments))
        object.__setattr__(self, "_by_shape", by_shape)

    @classmethod
    def of(cls, routes: Iterable[Route]) -> "RouteTable":
        return cls(tuple(dict.fromkeys(routes)))

    def match(self, method: str, path: str) -> RouteMatch | None:
        segments = path.strip("/").split("/")
        for route in self._by_shape.get((method, len(segments)), ()):
            params = _bind(route.segments, segments)
            if params is not None:
                return RouteMatch(route, params)
        return None


def _bind(template: tuple[str, ...], segments: list[str]) -> dict[str, str] | None:
    params: dict[str, str] = {}
    for expected, actual in zip(template, segments, strict=True):
        if _is_placeholder(expected):
            if not actual:
                return None
            params[expected[1:-1]] = actual
        elif expected != actual:
            return None
    return params
