"""Deterministic seed data: all derived from a digest of the credential, none random."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Final, TypeVar

from proxy.core.payload import JSONObject
from proxy.sandbox.factories import (
    brand_kit_item,
    canvas_item,
    event_item,
    organization_item,
    team_item,
)
from proxy.sandbox.stamps import (
    digest_int,
    seconds_before_epoch,
    seeded_id,
    seeded_uuid,
)

T = TypeVar("T")

_ADJECTIVES: Final = (
    "Quarterly",
    "Spring",
    "Bold",
    "Minimal",
    "Annual",
    "Launch",
    "Weekly",
)
_TOPICS: Final = (
    "Sales",
    "Hiring",
    "Product",
    "Investor",
    "Onboarding",
    "Roadmap",
    "Webinar",
)
_FORMS: Final = (
    ("slides", "Deck"),
    ("social", "Post"),
    ("carousel", "Carousel"),
    ("pdf", "One-pager"),
    ("web-ads", "Banner"),
    ("diagram", "Diagram"),
)
_COMPANIES: Final = (
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Vandelay",
    "Stark",
)
_EVENT_KINDS: Final = (
    ("task.created", "POST", "/v1/tasks", 202),
    ("task.canceled", "POST", "/v1/tasks/{task}/cancel", 200),
    ("canvas.remixed", "POST", "/v1/remix", 200),
    ("brand_kit.created", "POST", "/v1/brand-kits", 202),
    ("canvas.exported", "POST", "/v1/canvases/{canvas}/export", 200),
)


@dataclass(frozen=True)
class Identity:
    """Who a credential is: its organization, team, API key and the user behind it."""

    org_id: str
    org_uuid: str
    org_name: str
    team_id: str
    team_uuid: str
    team_name: str
    api_key_id: str
    user: JSONObject


def identity_for(seed: str) -> Identity:
    org_uuid, team_uuid = seeded_uuid("org", seed, 0), seeded_uuid("team", seed, 0)
    company = _pick(_COMPANIES, seed, "company")
    handle = f"{company.lower()}{digest_int(seed, 'user') % 1000}"
    return Identity(
        org_id=seeded_id("org", seed, 0),
        org_uuid=str(org_uuid),
        org_name=f"{company} Inc.",
        team_id=seeded_id("team", seed, 0),
        team_uuid=str(team_uuid),
        team_name=f"{company} Design",
        api_key_id=seeded_id("ak", seed),
        user={
            "id": seeded_id("usr", seed),
            "name": f"{company} Designer",
            "email": f"{handle}@example.com",
        },
    )


def canvases(seed: str, start: int, count: int, creator: JSONObject) -> list[JSONObject]:
    """Canvases numbered from `start`, older as numbers grow; three per minute."""
    return [_canvas(seed, index, creator) for index in range(start, start + count)]


def _canvas(seed: str, index: int, creator: JSONObject) -> JSONObject:
    category, form = _pick(_FORMS, seed, "form", index)
    adjective = _pick(_ADJECTIVES, seed, "adj", index)
    topic = _pick(_TOPICS, seed, "topic", index)
    name = f"{adjective} {topic} {form}"
    return canvas_item(
        canvas_id=seeded_id("cvs", seed, index),
        name=name,
        category=category,
        created_at=seconds_before_epoch(60 * (7 * (index // 3) + 1)),
        creator=creator,
        visibility="team" if index % 4 == 0 else "private",
    )


def brand_kits(seed: str, start: int, count: int) -> list[JSONObject]:
    """The first kit ever seeded is the team's default."""
    return [
        brand_kit_item(
            kit_id=seeded_id("bk", seed, index),
            company=(company := _pick(_COMPANIES, seed, "kit", index)),
            site=f"https://{company.lower()}{index}.example.com",
            is_default=index == 0,
            created_at=seconds_before_epoch(86400 * (index + 1) + 3600),
        )
        for index in range(start, start + count)
    ]


def organizations(seed: str, me: Identity, count: int) -> list[JSONObject]:
    """The caller's own organization first (owner), then ones it is a member of."""
    own_teams = [
        team_item(team_id=me.team_id, name=me.team_name, is_default=True),
        team_item(team_id=seeded_id("team", seed, 1), name="Marketing", is_default=False),
    ]
    orgs = [_org(me.org_id, me.org_name, "owner", own_teams, days_ago=400)]
    for index in range(1, count):
        company = _pick(_COMPANIES, seed, "org", index)
        team = team_item(
            team_id=seeded_id("team", seed, "org", index),
            name="Shared",
            is_default=True,
        )
        orgs.append(
            _org(
                seeded_id("org", seed, index),
                f"{company} Partners {index}",
                "member",
                [team],
                300 - index,
            )
        )
    return orgs


def _org(org_id: str, name: str, role: str, teams: list[JSONObject], days_ago: int) -> JSONObject:
    created_at = seconds_before_epoch(86400 * max(days_ago, 1))
    return organization_item(
        org_id=org_id, name=name, role=role, teams=teams, created_at=created_at
    )


def events(seed: str, start: int, count: int) -> list[JSONObject]:
    return [_event(seed, index) for index in range(start, start + count)]


def _event(seed: str, index: int) -> JSONObject:
    type_, method, template, status = _pick(_EVENT_KINDS, seed, "event", index)
    path = template.format(
        task=seeded_id("task", seed, "evt", index), canvas=seeded_id("cvs", seed, index)
    )
    when = seconds_before_epoch(1800 * index + digest_int(seed, "evt-at", index) % 1800)
    return event_item(
        event_id=seeded_id("evt", seed, index),
        type_=type_,
        created_at=when - timedelta(microseconds=digest_int(seed, "us", index) % 1_000_000),
        method=method,
        path=path,
        status=status,
    )


def _pick(options: tuple[T, ...], *parts: object) -> T:
    return options[digest_int(*parts) % len(options)]
