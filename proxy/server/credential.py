"""The credential fingerprint of a client request, hashed at most once however many parts need it
(the client-name metric, pagination checkpoints, team ids, callback relays, shared waits)."""

from typing import Final

from aiohttp import hdrs, web

from proxy.core.credentials import credential_fingerprint

_CREDENTIAL: Final = web.RequestKey[str | None]("credential_fingerprint")


def request_credential(request: web.Request) -> str | None:
    if _CREDENTIAL in request:
        return request[_CREDENTIAL]
    fingerprint = request[_CREDENTIAL] = credential_fingerprint(
        request.headers.get(hdrs.AUTHORIZATION)
    )
    return fingerprint
