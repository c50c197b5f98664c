"""Typed keys for what the app and each request carry."""

from typing import Final

from aiohttp import web

from proxy.config import Settings
from proxy.core.engine import VersionPlan
from proxy.core.versioning import MigrationContext, VersionBundle
from proxy.server.emulators import Emulators
from proxy.server.prefer import WaitHub
from proxy.server.upstream import Upstream
from proxy.server.webhooks import WebhookRelay

SETTINGS: Final = web.AppKey("settings", Settings)
BUNDLE: Final = web.AppKey("bundle", VersionBundle)
PLANS: Final = web.AppKey("plans", dict[str, VersionPlan])
MIGRATION_CONTEXT: Final = web.AppKey("migration_context", MigrationContext)
UPSTREAM: Final = web.AppKey("upstream", Upstream)
EMULATORS: Final = web.AppKey("emulators", Emulators)
WAIT_HUB: Final = web.AppKey("wait_hub", WaitHub)
WEBHOOK_RELAY: Final = web.AppKey("webhook_relay", WebhookRelay)

REQUEST_ID: Final = web.RequestKey("request_id", str)
SERVED_VERSION: Final = web.RequestKey("served_version", str)
