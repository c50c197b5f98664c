"""Looks up the caller's team once per credential, for changes that put `team_id` back."""

import dataclasses
import json
from collections.abc import Callable
from typing import Any

from proxy.core.messages import ApiRequest, ApiResponse, MigrationFacts, Send
from proxy.core.teams import TeamIdLookup, team_id_from_organizations, team_id_from_whoami
from proxy.errors import UpstreamContractError
from proxy.state import TeamStore

_SOURCES: tuple[tuple[str, tuple[tuple[str, str], ...], Callable[[Any], str | None]], ...] = (
    ("/v1/whoami", (), team_id_from_whoami),
    ("/v1/organizations", (("limit", "100"),), team_id_from_organizations),
)


class TeamLookup:
    """Asks the upstream itself (not the emulated route) which team a credential belongs to."""

    def __init__(self, store: TeamStore, upstream_send: Send) -> None:
        self._store = store
        self._upstream_send = upstream_send

    async def _look_up(self, request: ApiRequest) -> str:
        for path, query, read in _SOURCES:
            response = await self._upstream_send(
                dataclasses.replace(request, method="GET", path=path, query=query, body=b"")
            )
            if not response.is_success:
                continue
            try:
                team_id = read(json.loads(response.body))
            except ValueError:
                continue
            if team_id is not None:
                return team_id
        raise UpstreamContractError("The upstream did not say which team this API key belongs to.")

    async def __call__(
        self, emulation: TeamIdLookup, request: ApiRequest, send: Send, version: str
    ) -> ApiResponse:
        response = await send(request)
        if not response.is_success:
            return response
        fingerprint = request.credential
        team_id = await self._store.get(fingerprint) if fingerprint else None
        if team_id is None:
            team_id = await self._look_up(request)
            if fingerprint:
                await self._store.put(fingerprint, team_id)
        facts = dataclasses.replace(response.facts or MigrationFacts(), team_id=team_id)
        return dataclasses.replace(response, facts=facts)
