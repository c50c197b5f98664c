"""Webhook delivery: wait for a task to end, then POST Moda's signed event; retry.

Each watched task gets one background waiter owned by the dispatcher. It sleeps on the
injected clock until the task's terminal time (a cancel wakes it early), renders the
event once (so its `id` is stable across retries) and re-signs every attempt with a
fresh timestamp.
"""

import asyncio
import json
import logging
from collections import deque
from dataclasses import dataclass
from typing import Final

import aiohttp

from proxy.clock import Clock, sleep_or_wake
from proxy.core.payload import JSONObject
from proxy.sandbox.account import Account
from proxy.sandbox.settings import SandboxSettings
from proxy.sandbox.stamps import fresh_id, iso
from proxy.sandbox.task_view import render_task
from proxy.sandbox.tasks import Task
from proxy.signed_post import post_signed

API_VERSION: Final = "2026-05-01"
_EVENT_TYPES: Final = {
    "succeeded": "task.succeeded",
    "failed": "task.failed",
    "canceled": "task.canceled",
}
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryAttempt:
    event_id: str
    url: str
    attempt: int
    status: int | None


class WebhookDispatcher:
    def __init__(self, settings: SandboxSettings, clock: Clock) -> None:
        self._settings = settings
        self._clock = clock
        self._session: aiohttp.ClientSession | None = None
        self._waiters: set[asyncio.Task[None]] = set()
        self._wakeups: dict[str, asyncio.Event] = {}
        self.attempts: deque[DeliveryAttempt] = deque(maxlen=1000)

    async def open(self) -> None:
        timeout = aiohttp.ClientTimeout(total=self._settings.webhook_timeout_seconds)
        self._session = aiohttp.ClientSession(timeout=timeout)

    async def close(self) -> None:
        for waiter in list(self._waiters):
            waiter.cancel()
        await asyncio.gather(*self._waiters, return_exceptions=True)
        if self._session is not None:
            await self._session.close()

    def watch(self, account: Account, task: Task, url: str) -> None:
        self._wakeups[task.id] = asyncio.Event()
        waiter = asyncio.create_task(self._deliver_when_done(account, task, url))
        self._waiters.add(waiter)
        waiter.add_done_callback(self._waiters.discard)

    def nudge(self, task_id: str) -> None:
        """The task's timeline changed (a cancel): its waiter should look again now."""
        if (wakeup := self._wakeups.get(task_id)) is not None:
            wakeup.set()

    async def _deliver_when_done(self, account: Account, task: Task, url: str) -> None:
        try:
            await self._wait_for_end(task)
            account.settle(self._clock.now())
            event = self._event_for(task)
            if event is not None:
                await self._deliver_with_retries(url, event)
        finally:
            self._wakeups.pop(task.id, None)

    async def _wait_for_end(self, task: Task) -> None:
        wakeup = self._wakeups[task.id]
        while (left := task.seconds_to_next_change(task.elapsed(self._clock.now()))) is not None:
            wakeup.clear()
            await sleep_or_wake(self._clock, left, wakeup)

    def _event_for(self, task: Task) -> JSONObject | None:
        """Expired tasks fire nothing: the closed event set (§4) has no expiry event."""
        envelope = render_task(task, self._clock.now())
        event_type = _EVENT_TYPES.get(envelope["status"])
        if event_type is None:
            return None
        created = iso(task.wall_at(task.terminal_at))
        return {
            "id": fresh_id("evt"),
            "type": event_type,
            "created": created,
            "api_version": API_VERSION,
            "data": envelope,
        }

    async def _deliver_with_retries(self, url: str, event: JSONObject) -> None:
        body = json.dumps(event, separators=(",", ":")).encode()
        pauses = (0.0, *self._settings.webhook_retry_delays)
        for attempt, pause in enumerate(pauses, start=1):
            await self._clock.sleep(pause)
            status = await self._post(url, body)
            self.attempts.append(DeliveryAttempt(event["id"], url, attempt, status))
            if status is not None and 200 <= status < 300:
                return
        logger.warning("dropping webhook %s after %d attempts", event["id"], len(pauses))

    async def _post(self, url: str, body: bytes) -> int | None:
        if self._session is None:
            raise RuntimeError("the webhook dispatcher was not opened")
        secret = self._settings.webhook_signing_secret
        try:
            return await post_signed(self._session, url, body, secret=secret, clock=self._clock)
        except (aiohttp.ClientError, TimeoutError) as error:
            logger.info("webhook delivery to %s failed: %r", url, error)
            return None
