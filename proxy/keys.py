"""Typed keys for what the app and each request carry."""

from typing import Final

from aiohttp import web
from prometheus_client import CollectorRegistry

from proxy.config import Settings
from proxy.core.engine import VersionPlan
from proxy.core.versioning import MigrationContext, VersionBundle
from proxy.instruments import RequestInstruments
from proxy.metrics import ClientNames, ComponentStats, DerivedFieldCounts
from proxy.server.access import AccessLog
from proxy.server.client_usage import ClientUsage
from proxy.server.dispatch import PublicDispatch
from proxy.server.emulators import Emulators
from proxy.server.expiry import ExpiryWatcher
from proxy.server.prefer import WaitHub
from proxy.server.readiness import Readiness
from proxy.server.sunset import SunsetHeaders
from proxy.server.upstream import Upstream
from proxy.server.webhooks import WebhookRelay
from proxy.state import SharedState

SETTINGS: Final = web.AppKey("settings", Settings)
BUNDLE: Final = web.AppKey("bundle", VersionBundle)
PLANS: Final = web.AppKey("plans", dict[str, VersionPlan])
# Set only while the pre-versioning routes are served.
UNVERSIONED_PLAN: Final = web.AppKey("unversioned_plan", VersionPlan)
DERIVED_FIELDS: Final = web.AppKey("derived_fields", DerivedFieldCounts)
MIGRATION_CONTEXT: Final = web.AppKey("migration_context", MigrationContext)
UPSTREAM: Final = web.AppKey("upstream", Upstream)
EMULATORS: Final = web.AppKey("emulators", Emulators)
WAIT_HUB: Final = web.AppKey("wait_hub", WaitHub)
WEBHOOK_RELAY: Final = web.AppKey("webhook_relay", WebhookRelay)
EXPIRY_WATCHER: Final = web.AppKey("expiry_watcher", ExpiryWatcher)
STATE: Final = web.AppKey("state", SharedState)

REQUEST_INSTRUMENTS: Final = web.AppKey("request_instruments", RequestInstruments)
COMPONENT_STATS: Final = web.AppKey("component_stats", ComponentStats)
REGISTRY: Final = web.AppKey("registry", CollectorRegistry)
CLIENT_NAMES: Final = web.AppKey("client_names", ClientNames)
# The headers of each version that has them; empty when `deprecation.enabled` is false.
SUNSET_HEADERS: Final = web.AppKey("sunset_headers", dict[str, SunsetHeaders])
READINESS: Final = web.AppKey("readiness", Readiness)
PROXY_APP: Final = web.AppKey("proxy_app", web.Application)
ACCESS_LOG: Final = web.AppKey("access_log", AccessLog)
CLIENT_USAGE: Final = web.AppKey("client_usage", ClientUsage)
# The public listener's routes (proxy.server.dispatch); only the public app has it.
PUBLIC_DISPATCH: Final = web.AppKey("public_dispatch", PublicDispatch)
