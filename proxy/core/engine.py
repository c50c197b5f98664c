"""Applies a bundle's changes to bodies, in order. Pure.

Responses and events walk away from the upstream: versions newest to oldest and, within a version,
changes in listed order. Requests walk toward the upstream: the exact reverse. A migration receives
a body it may mutate (every body here was parsed for this one request) and returns the result.

A route a change serves under another path (`VersionChange.paths`) takes over every step the newer
changes declared for the route it stands for, then adds its own.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from proxy.core.derived import DerivedField
from proxy.core.messages import Query
from proxy.core.payload import JSONObject
from proxy.core.routes import Route, RouteTable
from proxy.core.versioning import (
    Emulation,
    Migration,
    MigrationContext,
    QueryMigration,
    VersionBundle,
    VersionChange,
)
from proxy.errors import ClientRequestError, TranslationError

_MIGRATION_FAILURES = (KeyError, TypeError, ValueError, AttributeError, IndexError)
_K = TypeVar("_K")
_V = TypeVar("_V")


@dataclass(frozen=True, slots=True)
class Step:
    change: str
    migrate: Migration
    derived: tuple[DerivedField, ...] = ()


Steps = tuple[Step, ...]


@dataclass(frozen=True, slots=True)
class QueryStep:
    change: str
    migrate: QueryMigration


@dataclass(frozen=True, slots=True)
class VersionPlan:
    """Everything one client version needs, worked out once at start-up."""

    version: str
    requests: Mapping[Route, Steps]
    queries: Mapping[Route, tuple[QueryStep, ...]]
    responses: Mapping[Route, Steps]
    events: Mapping[str, Steps]
    emulations: Mapping[Route, tuple[Emulation, ...]]
    routes: RouteTable
    errors: Mapping[Route, Steps]
    upstream_routes: Mapping[Route, Route]
    # The version's terms as its migrations see them; the shell adds what emulators learned.
    context: MigrationContext


def _frozen(table: dict[_K, list[_V]]) -> dict[_K, tuple[_V, ...]]:
    return {key: tuple(values) for key, values in table.items()}


def _take_over(table: dict[Route, list[_V]], client: Route, upstream: Route) -> None:
    if upstream in table:
        table[client] = list(table[upstream])


def version_context(
    bundle: VersionBundle, version: str, status_overrides: Mapping[str, str] | None = None
) -> MigrationContext:
    """The declared status words of `version`, with the operator's replacements on top."""
    declared = bundle.terms(version).status_words
    # A version that declares no words (the upstream's own) has none to replace.
    overrides = dict(status_overrides or {}) if declared else {}
    return MigrationContext(
        status_words={**declared, **overrides}, replaced_statuses=frozenset(overrides)
    )


def plan_version(
    bundle: VersionBundle, version: str, status_overrides: Mapping[str, str] | None = None
) -> VersionPlan:
    requests: dict[Route, list[Step]] = {}
    queries: dict[Route, list[QueryStep]] = {}
    responses: dict[Route, list[Step]] = {}
    errors: dict[Route, list[Step]] = {}
    events: dict[str, list[Step]] = {}
    emulations: dict[Route, list[Emulation]] = {}
    upstream_routes: dict[Route, Route] = {}
    for change in bundle.changes_for(version):
        name = change.short_name
        for client, upstream in change.paths.items():
            _take_over(requests, client, upstream)
            _take_over(queries, client, upstream)
            _take_over(responses, client, upstream)
            _take_over(errors, client, upstream)
            _take_over(emulations, client, upstream)
            upstream_routes[client] = upstream_routes.get(upstream, upstream)
        for route, migrate in change.responses.items():
            derived = change.derived.get(route, ())
            responses.setdefault(route, []).append(Step(name, migrate, derived))
        for route, migrate in change.errors.items():
            errors.setdefault(route, []).append(Step(name, migrate))
        for route, migrate in change.requests.items():
            requests.setdefault(route, []).insert(0, Step(name, migrate))
        for route, migrate_query in change.queries.items():
            queries.setdefault(route, []).insert(0, QueryStep(name, migrate_query))
        for event_type, migrate in change.events.items():
            events.setdefault(event_type, []).append(Step(name, migrate))
        for emulation in change.emulations:
            emulations.setdefault(emulation.route, []).append(emulation)
    routes = [*requests, *queries, *responses, *errors, *emulations, *upstream_routes]
    if bundle.unversioned is not None and version == bundle.unversioned.value:
        # Clients reach the unversioned API only on the routes it adds, never on inherited ones.
        routes = [route for change in bundle.unversioned.changes for route in _routes_of(change)]
    return VersionPlan(
        version=version,
        requests=_frozen(requests),
        queries=_frozen(queries),
        responses=_frozen(responses),
        events=_frozen(events),
        emulations=_frozen(emulations),
        routes=RouteTable.of(routes),
        errors=_frozen(errors),
        upstream_routes=upstream_routes,
        context=version_context(bundle, version, status_overrides),
    )


def _routes_of(change: VersionChange) -> list[Route]:
    return [*change.paths, *change.requests, *change.queries, *change.responses, *change.errors]


def migrate_response(
    steps: Steps,
    body: JSONObject,
    context: MigrationContext,
    derived: list[str] | None = None,
) -> JSONObject:
    """Appends to `derived`, when given, the name of each client field a step derives."""
    for step in steps:
        try:
            if derived is not None and step.derived:
                for field in step.derived:
                    if field.when(body, context):
                        derived.append(field.name)
            body = step.migrate(body, context)
        except _MIGRATION_FAILURES as exc:
            raise TranslationError(step.change, exc) from exc
    return body


def migrate_request(steps: Steps, body: JSONObject, context: MigrationContext) -> JSONObject:
    for step in steps:
        try:
            body = step.migrate(body, context)
        except _MIGRATION_FAILURES as exc:
            raise ClientRequestError(
                "The request body could not be translated for the upstream API.",
                details={"change": step.change},
            ) from exc
    return body


def migrate_query(steps: tuple[QueryStep, ...], query: Query, context: MigrationContext) -> Query:
    for step in steps:
        query = step.migrate(query, context)
    return query
