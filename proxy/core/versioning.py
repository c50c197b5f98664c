"""Version changes, versions and the bundle that orders them; version negotiation. Pure.

A `VersionChange` is one client-visible difference between two adjacent versions, declared as data:
which request bodies it rewrites on the way upstream, which response bodies, error bodies and
webhook events it rewrites on the way back, which routes it serves under another path, and which
client fields it derives. A `Version` lists the changes that lead from the version above it down to
itself, and declares its own terms: the word its clients read for each task status, when it was
deprecated and sunset, and the models of what its clients may receive. The `VersionBundle` lists
versions newest first, the upstream's own version on top, and may end with the unversioned API
that predates `Moda-Version`.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeAlias

from proxy.core.derived import DerivedField, declared_names
from proxy.core.messages import MigrationFacts, Query
from proxy.core.payload import JSONObject
from proxy.core.routes import Route
from proxy.core.tasks import TASK_STATUSES
from proxy.errors import UnsupportedVersion


class VersionChangeError(Exception):
    """A change or bundle is malformed; raised at import time, never while serving."""


@dataclass(frozen=True, slots=True)
class MigrationContext:
    """What a migration may know beyond the body: the served version's terms as the operator
    adjusted them, and what emulators learned."""

    # The served version's word for each upstream task status, the operator's overrides applied.
    status_words: Mapping[str, str] = field(default_factory=dict)
    # The statuses whose word the operator replaced (`translation.status_words`).
    replaced_statuses: frozenset[str] = frozenset()
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
class Retirement:
    """When a version was deprecated (its successor shipped) and when Moda stopped serving it."""

    deprecated_at: datetime
    sunset_at: datetime

    def __post_init__(self) -> None:
        if self.deprecated_at.tzinfo is None or self.sunset_at.tzinfo is None:
            raise VersionChangeError("retirement dates need a time zone")
        if self.sunset_at < self.deprecated_at:
            raise VersionChangeError("a version cannot end before it was deprecated")


class ClientModel(Protocol):
    """A model of a body a version's clients may receive (a pydantic model class): the contract
    tests hold every translated body to it."""

    def model_validate(self, obj: Any, /) -> Any: ...


@dataclass(frozen=True, slots=True)
class VersionTerms:
    """A version's own terms, as declared or inherited from the newer version (see `terms`)."""

    status_words: Mapping[str, str] = field(default_factory=dict)
    retirement: Retirement | None = None
    models: Mapping[Route, ClientModel] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Version:
    """One version: its changes from the version above, and whichever terms differ from it.

    `status_words` maps every upstream task status to the word this version's clients read;
    `models` maps a client route to the model of its answers. A term left out is the newer
    version's."""

    value: str
    changes: tuple[VersionChange, ...]
    status_words: Mapping[str, str]
    retirement: Retirement | None
    models: Mapping[Route, ClientModel]

    def __init__(
        self,
        value: str,
        *changes: VersionChange,
        status_words: Mapping[str, str] | None = None,
        retirement: Retirement | None = None,
        models: Mapping[Route, ClientModel] | None = None,
    ) -> None:
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "changes", changes)
        object.__setattr__(self, "status_words", status_words or {})
        object.__setattr__(self, "retirement", retirement)
        object.__setattr__(self, "models", models or {})
        missing = TASK_STATUSES - set(self.status_words)
        if self.status_words and missing:
            raise VersionChangeError(f"{value}: no status word for {', '.join(sorted(missing))}")


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

    def terms(self, version: str) -> VersionTerms:
        """The terms `version` declares, each one it leaves out taken from the newer version.

        The upstream's own version has none: its clients read the upstream's words unchanged."""
        terms = VersionTerms()
        for older in self._chain:
            terms = VersionTerms(
                status_words=older.status_words or terms.status_words,
                retirement=older.retirement or terms.retirement,
                models=older.models or terms.models,
            )
            if older.value == version:
                return terms
        if version == self.upstream:
            return VersionTerms()
        raise VersionChangeError(f"{version} is not in the bundle")

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
