"""Applies a bundle's changes to bodies, in order. Pure.

Responses and events walk away from the upstream: versions newest to oldest and, within a version,
changes in listed order. Requests walk toward the upstream: the exact reverse. A migration receives
a body it may mutate (every body here was parsed for this one request) and returns the result.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from proxy.core.payload import JSONObject
from proxy.core.routes import Route, RouteTable
from proxy.core.versioning import Migration, MigrationContext, VersionBundle
from proxy.errors import ClientRequestError, TranslationError

_MIGRATION_FAILURES = (KeyError, TypeError, ValueError, AttributeError, IndexError)


@dataclass(frozen=True, slots=True)
class Step:
    change: str
    migrate: Migration


Steps = tuple[Step, ...]


@dataclass(frozen=True, slots=True)
class VersionPlan:
    """Everything one client version needs, worked out once at start-up."""

    version: str
    requests: Mapping[Route, Steps]
    responses: Mapping[Route, Steps]
    events: Mapping[str, Steps]
    routes: RouteTable

    @property
    def is_passthrough(self) -> bool:
        return not (self.requests or self.responses or self.events)


def plan_version(bundle: VersionBundle, version: str) -> VersionPlan:
    requests: dict[Route, list[Step]] = {}
    responses: dict[Route, list[Step]] = {}
    events: dict[str, list[Step]] = {}
    for change in bundle.changes_for(version):
        for route, migrate in change.responses.items():
            responses.setdefault(route, []).append(Step(change.short_name, migrate))
        for route, migrate in change.requests.items():
            requests.setdefault(route, []).insert(0, Step(change.short_name, migrate))
        for event_type, migrate in change.events.items():
            events.setdefault(event_type, []).append(Step(change.short_name, migrate))
    return VersionPlan(
        version=version,
        requests={route: tuple(steps) for route, steps in requests.items()},
        responses={route: tuple(steps) for route, steps in responses.items()},
        events={name: tuple(steps) for name, steps in events.items()},
        routes=RouteTable.of([*requests, *responses]),
    )


def migrate_response(steps: Steps, body: JSONObject, context: MigrationContext) -> JSONObject:
    for step in steps:
        try:
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
