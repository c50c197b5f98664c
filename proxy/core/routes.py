"""Routes as method + path template, and a table that matches a request against them. Pure."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


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


@dataclass(frozen=True, slots=True)
class RouteMatch:
    route: Route
    params: Mapping[str, str]


def _is_placeholder(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")


# A template segment: the literal text it must equal, or the parameter name it binds.
_Segment = tuple[str | None, str | None]


def _compiled(route: Route) -> tuple[Route, tuple[_Segment, ...]]:
    return route, tuple(
        (None, segment[1:-1]) if _is_placeholder(segment) else (segment, None)
        for segment in route.segments
    )


@dataclass(frozen=True, slots=True)
class RouteTable:
    """Matches literal segments first: `/v1/canvases/search` beats `/v1/canvases/{id}`."""

    routes: tuple[Route, ...]
    _by_shape: dict[tuple[str, int], list[tuple[Route, tuple[_Segment, ...]]]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        by_shape: dict[tuple[str, int], list[tuple[Route, tuple[_Segment, ...]]]] = {}
        for route in self.routes:
            by_shape.setdefault((route.method, len(route.segments)), []).append(_compiled(route))
        for candidates in by_shape.values():
            candidates.sort(key=lambda entry: sum(name is not None for _, name in entry[1]))
        object.__setattr__(self, "_by_shape", by_shape)

    @classmethod
    def of(cls, routes: Iterable[Route]) -> "RouteTable":
        return cls(tuple(dict.fromkeys(routes)))

    def match(self, method: str, path: str) -> RouteMatch | None:
        segments = path.strip("/").split("/")
        for route, template in self._by_shape.get((method, len(segments)), ()):
            params = _bind(template, segments)
            if params is not None:
                return RouteMatch(route, params)
        return None


def _bind(template: tuple[_Segment, ...], segments: list[str]) -> dict[str, str] | None:
    params: dict[str, str] = {}
    for (literal, name), actual in zip(template, segments, strict=True):
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
