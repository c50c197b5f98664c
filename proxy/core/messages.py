"""The request and response values that cross the translation boundary. Pure."""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

Query = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class ApiRequest:
    """A buffered request in upstream form: `path` is raw (percent-encoded), `query` decoded."""

    method: str
    path: str
    query: Query
    headers: Mapping[str, str]
    body: bytes = b""
    # The fingerprint of its Authorization (None without one), computed once by whoever built the
    # request, so the emulators that key caches on it never hash the credential again.
    credential: str | None = field(kw_only=True)


@dataclass(frozen=True, slots=True)
class ApiResponse:
    """An upstream answer; an emulator may hand over a parsed `document` and `facts` it learned."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    document: dict[str, Any] | None = None
    facts: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_success(self) -> bool:
        return 200 <= self.status < 300


Send: TypeAlias = Callable[[ApiRequest], Awaitable[ApiResponse]]
