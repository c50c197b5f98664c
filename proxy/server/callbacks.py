"""Replaces a legacy client's `callback_url` with a relay URL on this proxy, on the way upstream.

A task it starts that has not ended is handed to the expiry watcher: Moda's webhooks never tell
of an expiry, so the proxy reads the task until it ends (proxy.server.expiry).
"""

import dataclasses
from collections.abc import Callable
from typing import Final, Protocol

import orjson

from proxy.config import WebhookSettings
from proxy.core.messages import ApiRequest, ApiResponse, Send
from proxy.core.relay import CallbackRelay, RelayTarget, check_callback_url, seal
from proxy.server.task_watch import pollable

RELAY_PATH: Final = "/-/webhooks/relay"


class ExpiryWatching(Protocol):
    async def start_watch(
        self, task_id: str, fingerprint: str, token: str, credential: str
    ) -> None: ...


class CallbackRelayer:
    def __init__(
        self,
        settings: WebhookSettings,
        relay_key: bytes,
        public_url: str,
        expiry: ExpiryWatching | None = None,
        on_relay: Callable[[str | None, str], None] | None = None,
    ) -> None:
        """`on_relay(fingerprint, version)` hears of every callback_url replaced."""
        self._settings = settings
        self._on_relay = on_relay
        self._key = relay_key
        self._base = f"{public_url.rstrip('/')}{RELAY_PATH}/"
        self._expiry = expiry

    async def __call__(
        self, emulation: CallbackRelay, request: ApiRequest, send: Send, version: str
    ) -> ApiResponse:
        try:
            document = orjson.loads(request.body) if request.body.strip() else None
        except orjson.JSONDecodeError:
            document = None  # the upstream refuses it in its own words
        if not isinstance(document, dict) or document.get("callback_url") is None:
            return await send(request)
        url = check_callback_url(
            document["callback_url"],
            allow_http=self._settings.allow_http_callbacks,
            allow_private=self._settings.allow_private_callback_hosts,
        )
        token = seal(self._key, RelayTarget(url, request.credential, version))
        document["callback_url"] = self._base + token
        if self._on_relay is not None:
            self._on_relay(request.credential, version)
        response = await send(dataclasses.replace(request, body=orjson.dumps(document)))
        await self._watch_for_expiry(request, response, token)
        return response

    async def _watch_for_expiry(
        self, request: ApiRequest, response: ApiResponse, token: str
    ) -> None:
        authorization = request.headers.get("Authorization")
        if self._expiry is None or request.credential is None or not authorization:
            return
        task = pollable(response)
        if task is not None:
            await self._expiry.start_watch(task["id"], request.credential, token, authorization)
