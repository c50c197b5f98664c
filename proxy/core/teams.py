"""The caller's team, which legacy brand kits carried as `team_id`, read from the upstream. Pure."""

from dataclasses import dataclass
from typing import Any

from proxy.core.routes import Route


@dataclass(frozen=True, slots=True)
class TeamIdLookup:
    """Responses on `route` need the caller's team id, in `facts["team_id"]`."""

    route: Route


def team_id_from_whoami(document: Any) -> str | None:
    """`GET /v1/whoami` answers `{"team": {"id": "team_…", …}, …}` for the key's own team."""
    team = document.get("team") if isinstance(document, dict) else None
    team_id = team.get("id") if isinstance(team, dict) else None
    return team_id if isinstance(team_id, str) and team_id else None


def team_id_from_organizations(document: Any) -> str | None:
    """The default team of the first organization listed (the key's own comes first)."""
    organizations = document.get("data") if isinstance(document, dict) else None
    if not isinstance(organizations, list):
        return None
    for organization in organizations:
        teams = organization.get("teams") if isinstance(organization, dict) else None
        for team in teams if isinstance(teams, list) else ():
            if (
                isinstance(team, dict)
                and team.get("is_default")
                and isinstance(team.get("id"), str)
            ):
                return str(team["id"])
    return None
