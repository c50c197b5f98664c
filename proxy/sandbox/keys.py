"""Typed keys for what the sandbox keeps on its app and on each request."""

from aiohttp import web

from proxy.sandbox.store import SandboxStore
from proxy.sandbox.webhooks import WebhookDispatcher

SANDBOX_STATE = web.AppKey("sandbox_state", SandboxStore)
SANDBOX_WEBHOOKS = web.AppKey("sandbox_webhooks", WebhookDispatcher)
TOKEN = web.RequestKey("sandbox_token", str)
REQUEST_ID = web.RequestKey("sandbox_request_id", str)
