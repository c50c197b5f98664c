"""The credential fingerprint of a client request, hashed at most once however many parts need it
(the client-name metric, pagination checkpoints, team ids, callback relays, shared waits)."""

from aiohttp import hdrs, web

from proxy.core.credentials import credential_fingerprint
from proxy.server.facts import request_facts


def request_credential(request: web.Request) -> str | None:
    facts = request_facts(request)
    if not facts.credential_known:
        facts.credential = credential_fingerprint(request.headers.get(hdrs.AUTHORIZATION))
        facts.credential_known = True
    return facts.credential
