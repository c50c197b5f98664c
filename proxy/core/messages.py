"""The request and response values that cross the translation boundary. Pure."""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias


@dataclass(frozen=True, slots=True)
class ApiRequest:
    """A buffered request in upstream form: `target` is the raw path with its query string."""

    method: str
    target: str
    headers: Mapping[str, str]
    body: bytes = b""


@dataclass(frozen=True, slots=True)
class ApiResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes
    facts: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_success(self) -> bool:
        return 200 <= self.status < 300


Send: TypeAlias = Callable[[ApiRequest], Awaitable[ApiResponse]]
