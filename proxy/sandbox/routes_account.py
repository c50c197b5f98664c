"""The caller's own account: whoami, credits, usage."""

from typing import Final

from aiohttp import web

from proxy.sandbox.http import account_of, json_response
from proxy.sandbox.keys import SANDBOX_STATE
from proxy.sandbox.usage import (
    check_api_key,
    usage_summary,
    usage_window,
    wants_by_operation,
)

PLAN: Final = "paid"
# The scopes moda-api.md §8 lists; every sandbox key holds all of them.
SCOPES: Final = (
    "canvases:read",
    "canvases:write",
    "designs:read",
    "designs:export",
    "tasks:read",
    "tasks:write",
    "tasks:cancel",
    "brand_kits:read",
    "brand_kits:write",
    "uploads:write",
    "organizations:read",
    "credits:read",
    "webhooks:manage",
)


def add_account_routes(app: web.Application) -> None:
    app.router.add_get("/v1/whoami", whoami)
    app.router.add_get("/v1/credits", credits)
    app.router.add_get("/v1/usage", usage)


async def whoami(request: web.Request) -> web.Response:
    """The shape the official CLI parses (moda-api.md §2.6b), plus the `organization.name`
    and `api_key` object the sandbox answered before."""
    me = account_of(request).me
    settings = request.app[SANDBOX_STATE].settings
    return json_response(
        {
            "user": dict(me.user),
            "team": {"id": me.team_id, "uuid": me.team_uuid, "name": me.team_name},
            "organization": {"id": me.org_id, "uuid": me.org_uuid, "name": me.org_name},
            "plan": PLAN,
            "scopes": list(SCOPES),
            "api_key_id": me.api_key_id,
            "api_key": {"id": me.api_key_id},
            "entitlements": {
                "design_tasks": True,
                "exports": True,
                "uploads": True,
                "max_active_tasks": settings.max_active_tasks,
            },
        }
    )


async def credits(request: web.Request) -> web.Response:
    account = account_of(request)
    return json_response(
        {
            "credits_limit": account.credits_limit,
            "credits_remaining": account.credits_remaining,
            "credits_reset_date": None,
            "plan": PLAN,
        }
    )


async def usage(request: web.Request) -> web.Response:
    account = account_of(request)
    window = usage_window(request, request.app[SANDBOX_STATE].clock.wall())
    by_operation = wants_by_operation(request)
    check_api_key(request, account)
    return json_response(usage_summary(account, window, by_operation=by_operation))
