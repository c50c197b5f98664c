"""The `Prefer: wait` emulator: holds answers while one poll loop per task watches the upstream."""

import asyncio
import json
import logging
import random
from dataclasses import dataclass, field, replace
from typing import Any, Final

from aiohttp import web
from multidict import CIMultiDict

from proxy.clock import Clock
from proxy.config import PreferWaitSettings
from proxy.core.credentials import credential_fingerprint
from proxy.core.messages import ApiRequest, ApiResponse, Send
from proxy.core.prefer import (
    applied_wait,
    is_settled,
    is_task_envelope,
    lifecycle_step,
    parse_prefer,
    poll_delay,
    wait_budget,
)
from proxy.core.routes import RouteMatch
from proxy.errors import UpstreamError
from proxy.metrics import ComponentStats
from proxy.state import Turn, WaitCoordinator
from translations.prefer_wait import WAIT_ROUTES

_log = logging.getLogger(__name__)
_POLL_HEADERS: Final = ("Authorization", "Moda-Version")
_PREFER: Final = "Prefer"


@dataclass(eq=False)
class _Watch:
    """One task being watched for every client waiting on it with the same credential."""

    task_id: str
    fingerprint: str | None
    headers: dict[str, str]
    body: bytes
    document: dict[str, Any]
    released: asyncio.Event = field(default_factory=asyncio.Event)
    waiters: int = 0
    poller: "asyncio.Task[None] | None" = None
    holds_lease: bool = False

    def update(self, body: bytes, document: dict[str, Any]) -> None:
        self.body, self.document = body, document
        if is_settled(document):
            self.released.set()


def _document(body: bytes) -> dict[str, Any] | None:
    try:
        document = json.loads(body)
    except ValueError:
        return None
    return document if is_task_envelope(document) else None


class WaitHub:
    """Coalesces waiters per (credential, task) and releases them all at shutdown.

    Within a process one watch serves every waiter on a task; the coordinator decides whether
    that watch polls the upstream or follows another replica's polls (see proxy.state.waits).
    """

    def __init__(
        self,
        settings: PreferWaitSettings,
        clock: Clock,
        upstream_send: Send,
        stats: ComponentStats,
        coordinator: WaitCoordinator,
    ) -> None:
        self._settings, self._clock, self._send = settings, clock, upstream_send
        self._coordinator = coordinator
        self._watches: dict[tuple[str, str], _Watch] = {}
        self._uncoalesced: set[_Watch] = set()
        self._closing = False
        self.stats = stats

    @property
    def watched_tasks(self) -> int:
        return len(self._watches)

    async def hold(self, request: ApiRequest, send: Send, budget: float) -> ApiResponse:
        """Sends `request`, then holds its Task answer until settled or `budget` seconds passed."""
        deadline = self._clock.now() + budget
        response = await send(request)
        document = _document(response.body) if response.is_success else None
        if document is None or is_settled(document) or self._closing:
            self.stats.wait_outcomes["answered_at_once"] += 1
            return _applied(response, budget)
        watch = self._watch_for(request, response, document)
        watch.waiters += 1
        self.stats.waiters += 1
        outcome = "client_left"
        try:
            await self._until_released(watch, deadline)
            outcome = self._outcome(watch)
        finally:
            watch.waiters -= 1
            self.stats.waiters -= 1
            self.stats.wait_outcomes[outcome] += 1
            if watch.waiters == 0:
                self._forget(watch, request)
                if watch.holds_lease and watch.fingerprint is not None:
                    await self._coordinator.resign(watch.fingerprint, watch.task_id)
        status = 200 if is_settled(watch.document) else response.status
        return _applied(replace(response, status=status, body=watch.body), budget)

    def _outcome(self, watch: _Watch) -> str:
        if is_settled(watch.document):
            return "terminal"
        return "shutdown" if self._closing else "budget_spent"

    def _key(self, request: ApiRequest, task_id: str) -> tuple[str, str] | None:
        fingerprint = credential_fingerprint(request.headers.get("Authorization"))
        return None if fingerprint is None else (fingerprint, task_id)

    def _watch_for(
        self, request: ApiRequest, response: ApiResponse, document: dict[str, Any]
    ) -> _Watch:
        key = self._key(request, document["id"])
        watch = self._watches.get(key) if key else None
        if watch is None:
            headers = {
                name: request.headers[name] for name in _POLL_HEADERS if name in request.headers
            }
            fingerprint = key[0] if key else None
            watch = _Watch(document["id"], fingerprint, headers, response.body, document)
            watch.poller = asyncio.get_running_loop().create_task(self._poll(watch))
            if key:
                self._watches[key] = watch
            else:  # without a credential there is nothing safe to share a poll loop on
                self._uncoalesced.add(watch)
        return watch

    def _forget(self, watch: _Watch, request: ApiRequest) -> None:
        if watch.poller is not None:
            watch.poller.cancel()
        self._uncoalesced.discard(watch)
        key = self._key(request, watch.task_id)
        if key is not None and self._watches.get(key) is watch:
            del self._watches[key]

    async def _until_released(self, watch: _Watch, deadline: float) -> None:
        remaining = deadline - self._clock.now()
        if remaining <= 0 or watch.released.is_set():
            return
        timer = asyncio.ensure_future(self._clock.sleep(remaining))
        released = asyncio.ensure_future(watch.released.wait())
        try:
            await asyncio.wait({timer, released}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            timer.cancel()
            released.cancel()

    def _next_delay(self, document: dict[str, Any]) -> float:
        settings = self._settings
        delay = poll_delay(
            document, settings.min_poll_interval_seconds, settings.default_poll_interval_seconds
        )
        # Jitter spreads the polls of tasks started together; it is never subtracted.
        return delay * (1 + random.uniform(0, settings.poll_jitter_ratio))  # noqa: S311

    async def _take_turn(self, watch: _Watch, interval: float) -> Turn:
        if watch.fingerprint is None:  # never shared: nothing to coordinate on
            return Turn(polls=True)
        turn = await self._coordinator.take_turn(watch.fingerprint, watch.task_id, interval)
        watch.holds_lease = turn.polls
        return turn

    async def _poll(self, watch: _Watch) -> None:
        request = ApiRequest("GET", f"/v1/tasks/{watch.task_id}", (), watch.headers)
        interval = self._next_delay(watch.document)
        while not watch.released.is_set():
            await self._clock.sleep(interval)
            turn = await self._take_turn(watch, interval)
            latest = _document(turn.latest) if turn.latest is not None else None
            # Another replica's last poll may predate this one's own answer: never step back.
            steps_back = latest is not None and lifecycle_step(latest) < lifecycle_step(
                watch.document
            )
            if turn.latest is not None and latest is not None and not steps_back:
                watch.update(turn.latest, latest)
            if watch.released.is_set():
                return
            if not turn.polls:
                interval = self._coordinator.follow_interval_seconds
                continue
            await self._poll_once(watch, request)
            interval = self._next_delay(watch.document)

    async def _poll_once(self, watch: _Watch, request: ApiRequest) -> None:
        try:
            response = await self._send(request)
        except UpstreamError as exc:
            _log.info("poll of %s failed, keeping the last state: %s", watch.task_id, exc.code)
            return
        finally:
            self.stats.wait_polls += 1
        document = _document(response.body) if response.is_success else None
        if document is None:
            return
        watch.update(response.body, document)
        if watch.fingerprint is not None:
            await self._coordinator.publish(watch.fingerprint, watch.task_id, response.body)

    def release_all(self) -> None:
        """Answers every held request now, with the latest state seen (shutdown)."""
        self._closing = True
        for watch in [*self._watches.values(), *self._uncoalesced]:
            watch.released.set()


def _applied(response: ApiResponse, budget: float) -> ApiResponse:
    headers = dict(response.headers)
    headers["Preference-Applied"] = applied_wait(budget)
    vary = headers.get("Vary")
    headers["Vary"] = f"{vary}, Prefer" if vary else "Prefer"
    return replace(response, headers=headers)


def requested_wait(
    request: web.Request, settings: PreferWaitSettings
) -> tuple[RouteMatch, float] | None:
    """The route and budget when the client asked to wait on a route the proxy holds; else None."""
    preferences = request.headers.getall(_PREFER, None)
    if preferences is None:
        return None
    match = WAIT_ROUTES.match(request.method, request.rel_url.raw_path)
    if match is None:
        return None
    wait = parse_prefer(preferences).wait
    if wait is None:
        return None
    route_maximum = settings.route_max_seconds.get(str(match.route), settings.max_seconds)
    return match, wait_budget(wait, route_maximum)


def without_wait(request: ApiRequest) -> ApiRequest:
    """The request as the upstream gets it: the proxy does the waiting, other preferences stay."""
    headers = CIMultiDict(request.headers)
    others = parse_prefer(headers.getall(_PREFER, ())).others
    headers.popall(_PREFER, None)
    if others:
        headers[_PREFER] = ", ".join(others)
    return replace(request, headers=headers)
