"""Version changes, versions and the bundle that orders them; version negotiation. Pure.

A `VersionChange` is one client-visible difference between two adjacent versions, declared as data:
which request bodies it rewrites on the way upstream, which response bodies, error bodies and
webhook events it rewrites on the way back, which routes it serves under another path, and which
client fields it derives. A `Version` lists the changes that lead from the version above it down to
itself; the `VersionBundle` lists versions newest first, the upstream's own version on top, and may
end with the unversioned API that predates `Moda-Version`.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeAlias

from proxy.core.derived import DerivedField, declared_names
from proxy.core.messages import MigrationFacts, Query
from proxy.core.payload import JSONObject
from proxy.core.routes import Route
from proxy.errors import UnsupportedVersion


class VersionChangeError(Exception):
    """A change or bundle is malformed; raised at import time, never while serving."""


@dataclass(frozen=True, slots=True)
class MigrationContext:
    """What a migration may know beyond the body: operator settings and what emulators learned."""

    status_words: Mapping[str, str] = field(default_factory=dict)
    facts: MigrationFacts = field(default_factory=MigrationFacts)


Migration: TypeAlias = Callable[[JSONObject, MigrationContext], JSONObject]
QueryMigration: TypeAlias = Callable[[Query, MigrationContext], Query]


class Emulation(Protocol):
    """Behaviour the upstream lacks on one route, declared as data; the shell carries it out."""

    @property
    def route(self) -> Route: ...


@dataclass(frozen=True, slots=True)
class VersionChange:
    name: str
    summary: str | None
    requests: Mapping[Route, Migration] = field(default_factory=dict)
    queries: Mapping[Route, QueryMigration] = field(default_factory=dict)
    responses: Mapping[Route, Migration] = field(default_factory=dict)
    events: Mapping[str, Migration] = field(default_factory=dict)
    emulations: tuple[Emulation, ...] = ()
    # A client route served by the upstream's route: `{Route("GET", "/v1/jobs/{id}"): GET_TASK}`.
    paths: Mapping[Route, Route] = field(default_factory=dict)
    # Error bodies (status >= 400) are left alone unless a change names their route here.
    errors: Mapping[Route, Migration] = field(default_factory=dict)
    derived: Mapping[Route, tuple[DerivedField, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not (self.summary and self.summary.strip()):
            raise VersionChangeError(f"{self.name}: a change needs a client-facing summary")
        if not (
            self.requests
            or self.queries
            or self.responses
            or self.events
            or self.paths
            or self.errors
        ):
            raise VersionChangeError(f"{self.name}: a change must rewrite something")
        undeclared = [str(route) for route in self.derived if route not in self.responses]
        if undeclared:
            raise VersionChangeError(
                f"{self.name}: derives fields on {', '.join(undeclared)} without rewriting it"
            )

    @property
    def short_name(self) -> str:
        return self.name.rsplit(".", 1)[-1]

    @property
    def changelog_entry(self) -> str:
        return " ".join((self.summary or "").split())

    @property
    def derived_names(self) -> tuple[str, ...]:
        return declared_names(self.derived)


@dataclass(frozen=True, slots=True)
class Version:
    value: str
    changes: tuple[VersionChange, ...]

    def __init__(self, value: str, *changes: VersionChange) -> None:
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "changes", changes)


@dataclass(frozen=True, slots=True)
class VersionBundle:
    upstream: str
    older: tuple[Version, ...]
    # The API from before `Moda-Version` existed: served only to clients that send none, and only
    # on the routes its own changes name. It is oldest of all; clients cannot ask for it by name.
    unversioned: Version | None = None
    # Every version a client may ask for, oldest first (as Moda lists them). Sorted once here:
    # every request negotiates against it.
    supported: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        values = [self.upstream, *(version.value for version in self.older)]
        if values != sorted(set(values), reverse=True):
            raise VersionChangeError(f"versions must be unique and newest first: {values}")
        if self.unversioned is not None and self.unversioned.value in values:
            raise VersionChangeError(f"{self.unversioned.value} is also a dated version")
        object.__setattr__(self, "supported", tuple(sorted(values)))

    @property
    def _chain(self) -> tuple[Version, ...]:
        return self.older if self.unversioned is None else (*self.older, self.unversioned)

    @property
    def derived_names(self) -> tuple[str, ...]:
        """Every client field any change may derive, once each."""
        changes = (change for version in self._chain for change in version.changes)
        return tuple(dict.fromkeys(name for change in changes for name in change.derived_names))

    def changes_for(self, client_version: str) -> tuple[VersionChange, ...]:
        """The changes between the upstream and `client_version`, in response order."""
        chain: list[VersionChange] = []
        for version in self._chain:
            chain.extend(version.changes)
            if version.value == client_version:
                return tuple(chain)
        if client_version == self.upstream:
            return ()
        raise VersionChangeError(f"{client_version} is not in the bundle")

    def changelog(self) -> list[dict[str, Any]]:
        return [
            {
                "version": version.value,
                "changes": [
                    {
                        "name": change.short_name,
                        "summary": change.changelog_entry,
                        "derived": list(change.derived_names),
                    }
                    for change in version.changes
                ],
            }
            for version in self._chain
        ]


def negotiate_version(requested: str | None, default: str, supported: tuple[str, ...]) -> str:
    """The version to serve: the client's own, or `default` when it named none."""
    if requested is None:
        return default
    candidate = requested.strip()
    if candidate in supported:
        return candidate
    raise UnsupportedVersion(requested, supported)
