"""A task being watched for the clients waiting on it, and how its answers are read."""

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from multidict import CIMultiDict

from proxy.core.messages import ApiResponse
from proxy.core.prefer import is_task_envelope
from proxy.core.tasks import is_settled
from proxy.server.convert import REQUEST_ID

# (credential fingerprint, task id): waiters share a watch only with their own credential.
WatchKey = tuple[str, str]


@dataclass(eq=False)
class TaskWatch:
    """One task being watched for every client waiting on it with the same credential.

    `first` is the answer the watch started from: a waiter's own, or the GET the watch sent for
    every waiter that joined before it returned. Later polls only replace the body."""

    task_id: str
    key: WatchKey | None
    headers: dict[str, str]
    first: ApiResponse | None = None
    body: bytes = b""
    document: dict[str, Any] | None = None
    failure: BaseException | None = None
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    released: asyncio.Event = field(default_factory=asyncio.Event)
    waiters: int = 0
    poller: "asyncio.Task[None] | None" = None
    holds_lease: bool = False

    @property
    def fingerprint(self) -> str | None:
        return None if self.key is None else self.key[0]

    def start_from(self, response: ApiResponse, document: dict[str, Any] | None) -> None:
        self.first, self.body, self.document = response, response.body, document
        if document is None or is_settled(document):
            self.released.set()
        self.answered.set()

    def update(self, body: bytes, document: dict[str, Any]) -> None:
        self.body, self.document = body, document
        if is_settled(document):
            self.released.set()

    def answer_for(self, own: ApiResponse | None, *, joined: bool) -> ApiResponse:
        """What a waiter gets: its own answer or the first, carrying the latest Task body."""
        answer = own or self.first
        if answer is None:
            raise RuntimeError("a watch is read before its first answer")
        if own is None and joined:
            # The upstream's request id named another client's exchange, not this one.
            answer = replace(answer, headers=_without_request_id(answer.headers))
        if self.document is None:  # not a Task: the first answer, as it was
            return answer
        status = 200 if is_settled(self.document) else answer.status
        return replace(answer, status=status, body=self.body)


def _without_request_id(headers: Mapping[str, str]) -> CIMultiDict[str]:
    kept = CIMultiDict(headers)
    kept.popall(REQUEST_ID, None)
    return kept


def task_document(body: bytes) -> dict[str, Any] | None:
    try:
        document = json.loads(body)
    except ValueError:
        return None
    return document if is_task_envelope(document) else None


def pollable(response: ApiResponse) -> dict[str, Any] | None:
    """The Task in an answer worth holding: a successful, unsettled Task envelope."""
    document = task_document(response.body) if response.is_success else None
    return None if document is None or is_settled(document) else document
