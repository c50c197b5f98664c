"""Carries out the emulations changes declare, by wrapping the upstream's send."""

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from proxy.core.messages import ApiRequest, ApiResponse, Send
from proxy.core.versioning import Emulation


class Emulator(Protocol):
    async def __call__(
        self, emulation: Any, request: ApiRequest, send: Send, version: str
    ) -> ApiResponse: ...


def _bound(emulator: Emulator, emulation: Emulation, inner: Send, version: str) -> Send:
    async def send(request: ApiRequest) -> ApiResponse:
        return await emulator(emulation, request, inner, version)

    return send


class Emulators:
    def __init__(self, by_kind: Mapping[type, Emulator]) -> None:
        self._by_kind = by_kind

    def unhandled(self, emulations: Iterable[Emulation]) -> list[Emulation]:
        """The emulations none of these emulators carries out."""
        return [emulation for emulation in emulations if type(emulation) not in self._by_kind]

    def bind(self, emulations: tuple[Emulation, ...], send: Send, version: str) -> Send:
        """Wraps `send` so the emulation declared first is the one nearest the client."""
        for emulation in reversed(emulations):
            send = _bound(self._by_kind[type(emulation)], emulation, send, version)
        return send
