"""The webhook relay: verifies an upstream event, translates it, re-signs it and delivers it.

Delivery is synchronous: the upstream gets a 2xx only once the client's endpoint answered 2xx, so
Moda's own retries (1 s, 5 s, 30 s) carry an event through any outage of the client or the proxy.
"""

import dataclasses
import hashlib
import logging
from collections.abc import Callable
from typing import Any, Final

import aiohttp
import orjson
from aiohttp import web

from proxy.clock import Clock
from proxy.config import WebhookSettings
from proxy.core.engine import VersionPlan, migrate_response
from proxy.core.messages import MigrationFacts
from proxy.core.relay import RelayTarget, unseal
from proxy.core.signing import check_signature
from proxy.core.tokens import InvalidToken
from proxy.errors import (
    ClientRequestError,
    DeliveryFailed,
    DeliveryInProgress,
    ProxyError,
    RelayNotFound,
    SigningSecretMissing,
)
from proxy.metrics import ComponentStats
from proxy.secrets import WebhookSecrets
from proxy.signed_post import post_signed
from proxy.state import Claim, DeliveryLedger
from proxy.state.expiry import ExpiryWatches

_log = logging.getLogger(__name__)
_USER_AGENT: Final = "moda-compat-proxy webhook relay"


def _delivery_key(fingerprint: str | None, event_id: str) -> bytes:
    return hashlib.blake2b(f"{fingerprint}:{event_id}".encode(), digest_size=16).digest()


def _event(body: bytes) -> dict[str, Any]:
    try:
        event = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ClientRequestError("The webhook body is not JSON.") from exc
    if not isinstance(event, dict) or not isinstance(event.get("id"), str):
        raise ClientRequestError("The webhook body is not an event.")
    if not isinstance(event.get("type"), str):
        raise ClientRequestError("The webhook body is not an event.")
    return event


class WebhookRelay:
    def __init__(
        self,
        settings: WebhookSettings,
        secrets: WebhookSecrets,
        plans: dict[str, VersionPlan],
        clock: Clock,
        stats: ComponentStats,
        ledger: DeliveryLedger,
        watches: ExpiryWatches,
        on_delivery: Callable[[str | None, str], None] | None = None,
    ) -> None:
        """`on_delivery(fingerprint, version)` hears of every event delivered to a client."""
        self._on_delivery = on_delivery
        self._settings, self._secrets, self._plans = settings, secrets, plans
        self._clock = clock
        self._ledger, self._watches = ledger, watches
        self._session: aiohttp.ClientSession | None = None
        self._outcomes = stats.webhook_relays

    async def open(self) -> None:
        self._session = aiohttp.ClientSession(
            cookie_jar=aiohttp.DummyCookieJar(),
            timeout=aiohttp.ClientTimeout(total=self._settings.delivery_timeout_seconds),
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    def _target(self, token: str) -> RelayTarget:
        try:
            target = unseal(self._secrets.relay_key, token)
        except InvalidToken as exc:
            raise RelayNotFound("No such relay.") from exc
        if target.version not in self._plans:
            raise RelayNotFound("No such relay.")
        return target

    async def handle(self, request: web.Request) -> web.Response:
        try:
            return await self._handle(request)
        except ProxyError as exc:
            self._outcomes[exc.code] += 1
            raise

    async def _handle(self, request: web.Request) -> web.Response:
        target = self._target(request.match_info["token"])
        secret = self._secrets.signing_secret(target.fingerprint)
        if secret is None:
            _log.error(
                "no webhook signing secret is configured for credential %s", target.fingerprint
            )
            raise SigningSecretMissing("The proxy has no signing secret for this API key.")
        body = await request.read()
        check_signature(
            secret,
            request.headers.get("X-Webhook-Timestamp"),
            request.headers.get("X-Webhook-Signature"),
            body,
            now=self._clock.wall().timestamp(),
            tolerance_seconds=self._settings.timestamp_tolerance_seconds,
        )
        event = _event(body)
        task = event.get("data")
        task_id = task.get("id") if isinstance(task, dict) else None  # read before translation
        outcome = await self._deliver_once(target, secret, event)
        if target.fingerprint is not None and isinstance(task_id, str):
            # Moda told of the task's end itself: reading it for expiry is over.
            await self._watches.end(target.fingerprint, task_id)
        return web.json_response({"status": outcome})

    async def notify_expiry(self, token: str, event: dict[str, Any]) -> str:
        """Delivers the proxy's own event for an expired task, once, as any relayed event."""
        target = self._target(token)
        secret = self._secrets.signing_secret(target.fingerprint)
        if secret is None:
            raise SigningSecretMissing("The proxy has no signing secret for this API key.")
        return await self._deliver_once(target, secret, event)

    async def _deliver_once(self, target: RelayTarget, secret: str, event: dict[str, Any]) -> str:
        key = _delivery_key(target.fingerprint, event["id"])
        claim = await self._ledger.claim(key)
        if claim is Claim.DELIVERED:
            self._outcomes["duplicate"] += 1
            return "duplicate"
        if claim is Claim.IN_FLIGHT:
            raise DeliveryInProgress("This event is being delivered right now; retry later.")
        try:
            outcome = await self._translate_and_deliver(target, secret, event)
        except BaseException:
            await self._ledger.release(key)
            raise
        if outcome == "delivered":
            await self._ledger.delivered(key)
        else:
            await self._ledger.release(key)
        return outcome

    async def _translate_and_deliver(
        self, target: RelayTarget, secret: str, event: dict[str, Any]
    ) -> str:
        plan = self._plans[target.version]
        steps = plan.events.get(event["type"])
        if steps is None:
            # A version with no such event never had it (exports, say): nothing to deliver.
            self._outcomes["ignored"] += 1
            return "ignored"
        facts = MigrationFacts(client_version=target.version)
        context = dataclasses.replace(plan.context, facts=facts)
        translated = migrate_response(steps, event, context)
        await self._deliver(target.url, secret, orjson.dumps(translated))
        self._outcomes["delivered"] += 1
        if self._on_delivery is not None:
            self._on_delivery(target.fingerprint, target.version)
        return "delivered"

    async def _deliver(self, url: str, secret: str, payload: bytes) -> None:
        if self._session is None:
            raise RuntimeError("the relay is used before the app started")
        try:
            status = await post_signed(
                self._session,
                url,
                payload,
                secret=secret,
                clock=self._clock,
                headers={"User-Agent": _USER_AGENT},
            )
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryFailed("The client's endpoint could not be reached.") from exc
        if not 200 <= status < 300:
            # The client's body is never echoed: it may carry anything.
            raise DeliveryFailed(
                "The client's endpoint refused the event.", details={"receiver_status": status}
            )
