"""One webhook POST signed as Moda signs it: how the relay and the sandbox both deliver events."""

from collections.abc import Mapping

import aiohttp

from proxy.clock import Clock
from proxy.core.signing import sign


async def post_signed(
    session: aiohttp.ClientSession,
    url: str,
    body: bytes,
    *,
    secret: str,
    clock: Clock,
    headers: Mapping[str, str] | None = None,
) -> int:
    """The receiver's status; aiohttp.ClientError or TimeoutError when it cannot be reached.

    A redirect is answered, never followed: the URL was checked, where it points to was not."""
    timestamp = int(clock.wall().timestamp())
    signed = {
        **(headers or {}),
        "Content-Type": "application/json",
        "X-Webhook-Timestamp": str(timestamp),
        "X-Webhook-Signature": sign(secret, timestamp, body),
    }
    async with session.post(url, data=body, headers=signed, allow_redirects=False) as response:
        return response.status
