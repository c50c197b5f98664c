"""The `Prefer: wait` emulator: holds answers while one poll loop per task watches the upstream."""

import asyncio
import logging
import random
from dataclasses import replace
from typing import Any, Final

from aiohttp import web
from multidict import CIMultiDict

from proxy.clock import Clock, sleep_or_wake
from proxy.config import PreferWaitSettings
from proxy.core.messages import ApiRequest, ApiResponse, Send
from proxy.core.prefer import (
    WaitRoutes,
    applied_wait,
    lifecycle_step,
    parse_prefer,
    poll_delay,
    wait_budget,
)
from proxy.core.routes import Route, RouteMatch, RouteTable
from proxy.core.tasks import is_settled
from proxy.errors import UpstreamError
from proxy.metrics import ComponentStats
from proxy.server.task_watch import TaskWatch, WatchKey, pollable, task_document
from proxy.state import Turn, WaitCoordinator

_log = logging.getLogger(__name__)
_POLL_HEADERS: Final = ("Authorization", "Moda-Version")
_PREFER: Final = "Prefer"


class WaitHub:
    """Coalesces waiters per (credential, task) and releases them all at shutdown.

    Within a process one watch serves every waiter on a task, from the first GET on: a waiter
    that finds a watch on its task sends nothing of its own. The coordinator decides whether that
    watch polls the upstream or follows another replica's polls (see proxy.state.waits).
    """

    def __init__(
        self,
        settings: PreferWaitSettings,
        routes: WaitRoutes,
        clock: Clock,
        upstream_send: Send,
        stats: ComponentStats,
        coordinator: WaitCoordinator,
    ) -> None:
        self._settings, self._clock, self._send = settings, clock, upstream_send
        self.routes = routes
        self._coordinator = coordinator
        self._watches: dict[WatchKey, TaskWatch] = {}
        self._uncoalesced: set[TaskWatch] = set()
        self._closing = False
        self.stats = stats

    @property
    def watched_tasks(self) -> int:
        return len(self._watches)

    def latest(self, fingerprint: str, task_id: str) -> dict[str, Any] | None:
        """The Task a wait in this process read last, so that other readers need not ask again."""
        watch = self._watches.get((fingerprint, task_id))
        return None if watch is None else watch.document

    async def hold(
        self, request: ApiRequest, send: Send, budget: float, *, shared_task: str | None = None
    ) -> ApiResponse:
        """Holds a Task answer until settled or `budget` seconds passed.

        `request` is sent with `send` first, unless it is a plain read of `shared_task`: then it
        joins the watch on that task, or starts one whose first GET every later reader shares."""
        deadline = self._clock.now() + budget
        key = self._key(request, shared_task) if shared_task is not None else None
        if key is not None and not self._closing:
            watch = self._watches.get(key)
            joined = watch is not None
            if watch is None:
                watch = self._start_watch(key, request)
            return await self._hold_on(watch, None, deadline, budget, joined=joined)
        response = await send(request)
        document = pollable(response)
        if document is None or self._closing:
            self.stats.wait_outcomes["answered_at_once"] += 1
            return _applied(response, budget)
        watch = self._watch_for(request, response, document)
        return await self._hold_on(watch, response, deadline, budget, joined=False)

    async def _hold_on(
        self,
        watch: TaskWatch,
        own: ApiResponse | None,
        deadline: float,
        budget: float,
        *,
        joined: bool,
    ) -> ApiResponse:
        watch.waiters += 1
        try:
            await watch.answered.wait()
            if watch.failure is not None:
                raise watch.failure
            if watch.released.is_set():
                self.stats.wait_outcomes["answered_at_once"] += 1
            else:
                await self._wait_for_release(watch, deadline)
        finally:
            watch.waiters -= 1
            if watch.waiters == 0:
                await self._forget(watch)
        return _applied(watch.answer_for(own, joined=joined), budget)

    async def _wait_for_release(self, watch: TaskWatch, deadline: float) -> None:
        self.stats.waiters += 1
        outcome = "client_left"
        try:
            await self._until_released(watch, deadline)
            outcome = self._outcome(watch)
        finally:
            self.stats.waiters -= 1
            self.stats.wait_outcomes[outcome] += 1

    def _outcome(self, watch: TaskWatch) -> str:
        if watch.document is not None and is_settled(watch.document):
            return "terminal"
        return "shutdown" if self._closing else "budget_spent"

    def _key(self, request: ApiRequest, task_id: str) -> WatchKey | None:
        return None if request.credential is None else (request.credential, task_id)

    def _poll_headers(self, request: ApiRequest) -> dict[str, str]:
        return {name: request.headers[name] for name in _POLL_HEADERS if name in request.headers}

    def _start_watch(self, key: WatchKey, request: ApiRequest) -> TaskWatch:
        watch = TaskWatch(key[1], key, self._poll_headers(request))
        self._watches[key] = watch
        watch.poller = asyncio.get_running_loop().create_task(self._first_then_poll(watch, request))
        return watch

    def _watch_for(
        self, request: ApiRequest, response: ApiResponse, document: dict[str, Any]
    ) -> TaskWatch:
        key = self._key(request, document["id"])
        watch = self._watches.get(key) if key else None
        # A watch still waiting for its first GET is left to its own waiters.
        if watch is None or watch.document is None:
            watch = TaskWatch(document["id"], key, self._poll_headers(request))
            watch.start_from(response, document)
            watch.poller = asyncio.get_running_loop().create_task(self._poll(watch))
            if key:
                self._watches[key] = watch
            else:  # without a credential there is nothing safe to share a poll loop on
                self._uncoalesced.add(watch)
        return watch

    def _unlist(self, watch: TaskWatch) -> None:
        if watch.key is not None and self._watches.get(watch.key) is watch:
            del self._watches[watch.key]

    async def _forget(self, watch: TaskWatch) -> None:
        if watch.poller is not None:
            watch.poller.cancel()
        self._uncoalesced.discard(watch)
        self._unlist(watch)
        if watch.holds_lease and watch.fingerprint is not None:
            await self._coordinator.resign(watch.fingerprint, watch.task_id)

    async def _first_then_poll(self, watch: TaskWatch, request: ApiRequest) -> None:
        """Sends the first GET for every waiter; polls on while the Task is unsettled."""
        try:
            # The raw upstream, as for polls: a Task read is the same whatever version asked.
            response = await self._send(request)
        except Exception as exc:  # every waiter that joined gets it, as its own request would
            watch.failure = exc
            watch.answered.set()
            self._unlist(watch)
            return
        document = task_document(response.body) if response.is_success else None
        watch.start_from(response, document)
        if document is None:  # an error or not a Task: the next reader asks afresh
            self._unlist(watch)
        elif not watch.released.is_set():
            await self._poll(watch)

    async def _until_released(self, watch: TaskWatch, deadline: float) -> None:
        remaining = deadline - self._clock.now()
        if remaining <= 0 or watch.released.is_set():
            return
        await sleep_or_wake(self._clock, remaining, watch.released)

    def _next_delay(self, document: dict[str, Any]) -> float:
        settings = self._settings
        delay = poll_delay(
            document, settings.min_poll_interval_seconds, settings.default_poll_interval_seconds
        )
        # Jitter spreads the polls of tasks started together; it is never subtracted.
        return delay * (1 + random.uniform(0, settings.poll_jitter_ratio))  # noqa: S311

    async def _take_turn(self, watch: TaskWatch, interval: float) -> Turn:
        if watch.fingerprint is None:  # never shared: nothing to coordinate on
            return Turn(polls=True)
        turn = await self._coordinator.take_turn(watch.fingerprint, watch.task_id, interval)
        watch.holds_lease = turn.polls
        return turn

    async def _poll(self, watch: TaskWatch) -> None:
        if watch.document is None:
            raise RuntimeError("a watch polls only a Task it has seen")
        request = ApiRequest(
            "GET", f"/v1/tasks/{watch.task_id}", (), watch.headers, credential=watch.fingerprint
        )
        interval = self._next_delay(watch.document)
        while not watch.released.is_set():
            await self._clock.sleep(interval)
            turn = await self._take_turn(watch, interval)
            latest = task_document(turn.latest) if turn.latest is not None else None
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

    async def _poll_once(self, watch: TaskWatch, request: ApiRequest) -> None:
        try:
            response = await self._send(request)
        except UpstreamError as exc:
            _log.info("poll of %s failed, keeping the last state: %s", watch.task_id, exc.code)
            return
        finally:
            self.stats.wait_polls += 1
        document = task_document(response.body) if response.is_success else None
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
    request: web.Request, settings: PreferWaitSettings, held: RouteTable
) -> tuple[RouteMatch, float] | None:
    """The route and budget when the client asked to wait on a route the proxy holds; else None."""
    preferences = request.headers.getall(_PREFER, None)
    if preferences is None:
        return None
    match = held.match(request.method, request.rel_url.raw_path)
    if match is None:
        return None
    wait = parse_prefer(preferences).wait
    if wait is None:
        return None
    route_maximum = settings.route_max_seconds.get(str(match.route), settings.max_seconds)
    return match, wait_budget(wait, route_maximum)


def shared_task(match: RouteMatch, request: ApiRequest, shared_read: Route) -> str | None:
    """The task a wait may share with other readers before sending anything: a plain read of it."""
    if match.route != shared_read or request.query:
        return None
    return match.params["id"]


def without_wait(request: ApiRequest) -> ApiRequest:
    """The request as the upstream gets it: the proxy does the waiting, other preferences stay."""
    headers = CIMultiDict(request.headers)
    others = parse_prefer(headers.getall(_PREFER, ())).others
    headers.popall(_PREFER, None)
    if others:
        headers[_PREFER] = ", ".join(others)
    return replace(request, headers=headers)
