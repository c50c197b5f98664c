"""Calling the sandbox app directly, as a test client, under one bearer token."""

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

Client = TestClient[web.Request, web.Application]
ClientFactory = Callable[..., Awaitable[Client]]
Call = Callable[..., Awaitable[tuple[int, Any]]]


def caller(token: str) -> Call:
    """`call(client, method, path, body=None, headers=None)` as `token`: (status, JSON body)."""
    auth = {"Authorization": f"Bearer {token}"}

    async def call(
        client: Client,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        response = await client.request(
            method, path, json=body, headers={**auth, **(headers or {})}
        )
        return response.status, await response.json()

    return call
