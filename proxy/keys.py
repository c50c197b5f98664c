"""Typed keys for what the app and each request carry."""

from typing import Final

from aiohttp import web
from prometheus_client import CollectorRegistry

from proxy.config import Settings
from proxy.core.engine import VersionPlan
from proxy.core.versioning import MigrationContext, VersionBundle
from proxy.instruments import RequestInstruments
from proxy.metrics import ClientNames, ComponentStats
from proxy.server.access import AccessLog
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
SUNSET_HEADERS: Final = web.AppKey("sunset_headers", SunsetHeaders)
READINESS: Final = web.AppKey("readiness", Readiness)
PROXY_APP: Final = web.AppKey("proxy_app", web.Application)
ACCESS_LOG: Final = web.AppKey("access_log", AccessLog)

REQUEST_ID: Final = web.RequestKey("request_id", str)
SERVED_VERSION: Final = web.RequestKey("served_version", str)
ROUTE_LABEL: Final = web.RequestKey("route_label", str)
UPSTREAM_SECONDS: Final = web.RequestKey("upstream_seconds", float)
TRANSLATION_SECONDS: Final = web.RequestKey("translation_seconds", float)
CHANGES_APPLIED: Final = web.RequestKey("changes_applied", tuple[str, ...])
FAILED_CHANGE: Final = web.RequestKey("failed_change", str)
UNSUPPORTED_VERSION: Final = web.RequestKey("unsupported_version", bool)
