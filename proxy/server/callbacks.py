"""Replaces a legacy client's `callback_url` with a relay URL on this proxy, on the way upstream."""

import dataclasses
from collections.abc import Callable
from typing import Final

import orjson

from proxy.config import WebhookSettings
from proxy.core.messages import ApiRequest, ApiResponse, Send
from proxy.core.relay import CallbackRelay, RelayTarget, check_callback_url, seal

RELAY_PATH: Final = "/-/webhooks/relay"


class CallbackRelayer:
    def __init__(
        self,
        settings: WebhookSettings,
        relay_key: bytes,
        public_url: str,
        on_relay: Callable[[str | None, str], None] | None = None,
    ) -> None:
        """`on_relay(fingerprint, version)` hears of every callback_url replaced."""
        self._settings = settings
        self._on_relay = on_relay
        self._key = relay_key
        self._base = f"{public_url.rstrip('/')}{RELAY_PATH}/"

    def relay_url(self, target: RelayTarget) -> str:
        return self._base + seal(self._key, target)

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
        document["callback_url"] = self.relay_url(RelayTarget(url, request.credential, version))
        if self._on_relay is not None:
            self._on_relay(request.credential, version)
        return await send(dataclasses.replace(request, body=orjson.dumps(document)))
