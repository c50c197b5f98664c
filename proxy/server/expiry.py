"""Reads tasks whose legacy client waits on a callback until they end; tells of an expiry.

One loop per process takes the watches that are due (proxy.state.expiry), reads each task once,
and either sends the client `job.failed` through the relay (the task expired), ends the watch (the
task ended otherwise, or cannot be read any more) or puts it off by `webhooks.expiry_poll_seconds`.
A task some client is already waiting on in this process is read from that wait instead.
"""

import asyncio
import contextlib
import logging
from typing import Any, Final

import orjson

from proxy.clock import Clock, sleep_or_wake
from proxy.config import Settings
from proxy.core.expiry import Verdict, expiry_event, read_verdict
from proxy.core.messages import ApiRequest, Send
from proxy.errors import ProxyError, RelayNotFound
from proxy.metrics import ComponentStats
from proxy.server.prefer import WaitHub
from proxy.server.webhooks import WebhookRelay
from proxy.state.expiry import ExpiryWatch, ExpiryWatches

_log = logging.getLogger(__name__)
_BATCH: Final = 100
_CLOSE_RETRY_SECONDS: Final = 0.1


class ExpiryWatcher:
    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        upstream_send: Send,
        watches: ExpiryWatches,
        relay: WebhookRelay,
        waits: WaitHub,
        stats: ComponentStats,
    ) -> None:
        self._poll = settings.webhooks.expiry_poll_seconds
        self._life = settings.webhooks.expiry_watch_max_seconds
        # A taken watch is nobody else's for a read and a delivery, then it is due again.
        self._lease = self._poll + settings.webhooks.delivery_timeout_seconds
        self._upstream_version = settings.upstream.version
        self._clock, self._send, self._watches = clock, upstream_send, watches
        self._relay, self._waits, self._events = relay, waits, stats.expiry_watches
        self._wakeup = asyncio.Event()
        self._loop: asyncio.Task[None] | None = None
        self._closed = False

    async def start_watch(
        self, task_id: str, fingerprint: str, token: str, credential: str
    ) -> None:
        now = self._clock.wall().timestamp()
        watch = ExpiryWatch(task_id, fingerprint, token, now + self._life, credential)
        await self._watches.start(watch, now + self._poll)
        self._events["started"] += 1
        self._wakeup.set()

    async def open(self) -> None:
        self._loop = asyncio.get_running_loop().create_task(self._run())

    async def close(self) -> None:
        self._closed = True
        # On Python 3.11 a cancel landing inside the Redis client's own timeouts can be lost:
        # ask again until the loop has ended.
        while self._loop is not None and not self._loop.done():
            self._loop.cancel()
            await asyncio.wait({self._loop}, timeout=_CLOSE_RETRY_SECONDS)

    async def _run(self) -> None:
        while not self._closed:
            try:
                await self.read_due()
            except Exception:  # the loop outlives any one failure; the watches stay due
                _log.exception("reading tasks for expiry failed")
            await self._sleep()

    async def read_due(self) -> None:
        now = self._clock.wall().timestamp()
        due = await self._watches.take_due(now, self._lease, _BATCH)
        await asyncio.gather(*(self._read(watch, now) for watch in due))

    async def _sleep(self) -> None:
        """Until the next due watch, at most one poll interval; with none, until one starts.

        With nothing watched anywhere no timer runs on the injected clock: a new watch in this
        process wakes the loop, and with `redis` it looks again after an interval of real time,
        for the watches other replicas start."""
        self._wakeup.clear()
        next_due = await self._watches.next_due()
        if next_due is None:
            idle = self._poll if self._watches.shared else None
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel (close()).
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(idle):
                    await self._wakeup.wait()
            return
        delay = min(next_due - self._clock.wall().timestamp(), self._poll)
        if delay <= 0:
            await asyncio.sleep(0)  # more are due (a full batch): read them, letting others run
            return
        await sleep_or_wake(self._clock, delay, self._wakeup)

    async def _read(self, watch: ExpiryWatch, now: float) -> None:
        if now >= watch.until:
            self._events["aged_out"] += 1
            await self._watches.end(watch.fingerprint, watch.task_id)
            return
        status, task = await self._task(watch)
        verdict = read_verdict(status, task)
        if verdict is Verdict.NOTIFY and isinstance(task, dict):
            verdict = await self._notify(watch, task)
        if verdict is Verdict.KEEP:
            await self._watches.later(watch, now + self._poll)
            return
        self._events["ended"] += 1
        await self._watches.end(watch.fingerprint, watch.task_id)

    async def _task(self, watch: ExpiryWatch) -> tuple[int, Any]:
        waited = self._waits.latest(watch.fingerprint, watch.task_id)
        if waited is not None:
            return 200, waited
        headers = {"Authorization": watch.credential, "Moda-Version": self._upstream_version}
        request = ApiRequest(
            "GET", f"/v1/tasks/{watch.task_id}", (), headers, credential=watch.fingerprint
        )
        self._events["read"] += 1
        try:
            response = await self._send(request)
        except ProxyError as exc:
            _log.info("reading %s for expiry failed: %s", watch.task_id, exc.code)
            return 502, None
        try:
            return response.status, orjson.loads(response.body)
        except orjson.JSONDecodeError:
            return response.status, None

    async def _notify(self, watch: ExpiryWatch, task: dict[str, Any]) -> Verdict:
        created = task.get("completed_at") or self._clock.wall().isoformat()
        event = expiry_event(task, str(created), self._upstream_version)
        try:
            outcome = await self._relay.notify_expiry(watch.token, event)
        except RelayNotFound:
            return Verdict.END  # sealed under a relay secret no longer in use: nowhere to send
        except ProxyError as exc:
            # The client's endpoint is away (or the secret is missing): offered again next read.
            _log.info("telling of the expiry of %s failed: %s", watch.task_id, exc.code)
            return Verdict.KEEP
        if outcome == "delivered":
            self._events["notified"] += 1
        return Verdict.END
