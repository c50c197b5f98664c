"""The request and response values that cross the translation boundary. Pure."""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

if TYPE_CHECKING:  # the walk's own module imports this one
    from proxy.core.pagination import PageFacts

Query = tuple[tuple[str, str], ...]
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class MigrationFacts:
    """What the shell learned for one exchange and the migrations read: a page's position and
    total (offset pagination), the caller's team (brand kits), the version a relayed event is
    for (callbacks). Absent until an emulator learns it."""

    page: "PageFacts | None" = None
    team_id: str | None = None
    client_version: str | None = None


def learned(value: _T | None, name: str) -> _T:
    """A fact a migration cannot do without: a KeyError (so a TranslationError) when absent."""
    if value is None:
        raise KeyError(f"{name} was not learned for this exchange")
    return value


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
    facts: MigrationFacts | None = None

    @property
    def is_success(self) -> bool:
        return 200 <= self.status < 300


Send: TypeAlias = Callable[[ApiRequest], Awaitable[ApiResponse]]
