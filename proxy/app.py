"""The composition root: builds the proxy and admin applications from settings."""

import logging
from collections.abc import AsyncIterator, Callable

from aiohttp import web
from prometheus_client import CollectorRegistry

from proxy.clock import Clock, SystemClock
from proxy.config import SANDBOX, ConfigError, Settings, parse_listen
from proxy.core.engine import VersionPlan, plan_version
from proxy.core.pagination import OffsetPagination
from proxy.core.relay import CallbackRelay
from proxy.core.teams import TeamIdLookup
from proxy.core.versioning import VersionBundle
from proxy.instruments import RequestInstruments
from proxy.keys import (
    ACCESS_LOG,
    BUNDLE,
    CLIENT_NAMES,
    CLIENT_USAGE,
    COMPONENT_STATS,
    DERIVED_FIELDS,
    EMULATORS,
    EXPIRY_WATCHER,
    MIGRATION_CONTEXT,
    PLANS,
    PUBLIC_DISPATCH,
    READINESS,
    REGISTRY,
    REQUEST_INSTRUMENTS,
    SETTINGS,
    STATE,
    SUNSET_HEADERS,
    UNVERSIONED_PLAN,
    UPSTREAM,
    WAIT_HUB,
    WEBHOOK_RELAY,
)
from proxy.metrics import (
    ClientNames,
    ComponentCollector,
    ComponentStats,
    DerivedFieldCounts,
)
from proxy.secrets import WebhookSecrets, load_webhook_secrets
from proxy.server.access import AccessLog
from proxy.server.callbacks import RELAY_PATH, CallbackRelayer
from proxy.server.client_usage import ClientUsage
from proxy.server.dispatch import PublicDispatch
from proxy.server.emulators import Emulators
from proxy.server.expiry import ExpiryWatcher
from proxy.server.handler import proxy_request, relay_webhook
from proxy.server.middlewares import envelope_errors
from proxy.server.observe import RequestObserver
from proxy.server.ops import add_admin_routes
from proxy.server.pagination import OffsetPaginator
from proxy.server.prefer import WaitHub
from proxy.server.readiness import Readiness
from proxy.server.sunset import sunset_headers
from proxy.server.teams import TeamLookup
from proxy.server.upstream import Upstream
from proxy.server.webhooks import WebhookRelay
from proxy.state import build_state
from translations import BUNDLE as SHIPPED_BUNDLE
from translations.prefer_wait import WAIT_ROUTES

_log = logging.getLogger(__name__)


def _check_versions(settings: Settings, bundle: VersionBundle) -> None:
    if settings.upstream.version != bundle.upstream:
        raise ConfigError(
            f"upstream.version: the translations speak {bundle.upstream} to the upstream, "
            f"not {settings.upstream.version}"
        )
    held = WAIT_ROUTES.held.routes
    unknown = set(settings.prefer_wait.route_max_seconds) - {str(route) for route in held}
    if unknown:
        raise ConfigError(
            f"prefer_wait.route_max_seconds: {', '.join(sorted(unknown))} is not one of "
            f"{', '.join(str(route) for route in held)}"
        )
    if settings.versions.default not in bundle.supported:
        raise ConfigError(
            f"versions.default: {settings.versions.default} is not one of "
            f"{', '.join(bundle.supported)}"
        )


def _check_emulations(plans: dict[str, VersionPlan], emulators: Emulators) -> None:
    """A change declaring an emulation nothing carries out would fail its first request: refuse
    to start instead."""
    for version, plan in plans.items():
        for route, emulations in plan.emulations.items():
            for emulation in emulators.unhandled(emulations):
                raise ConfigError(
                    f"translations: version {version} declares {type(emulation).__name__} on "
                    f"{route}, but no emulator carries it out (register one in proxy/app.py)"
                )


async def start_embedded_sandbox(settings: Settings, clock: Clock) -> tuple[web.AppRunner, str]:
    """The sandbox Moda API on a loopback port of the kernel's choosing: its runner and URL."""
    # Imported here: a proxy in front of the real Moda never loads the sandbox (some 8 MB).
    from proxy.sandbox.app import create_sandbox_app

    runner = web.AppRunner(create_sandbox_app(settings.sandbox, clock), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"


def _upstream_lifecycle(
    clock: Clock, sandbox_url: str | None
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        sandbox: web.AppRunner | None = None
        base_url = settings.upstream.url
        if base_url == SANDBOX and sandbox_url is not None:
            base_url = sandbox_url
        elif base_url == SANDBOX:
            sandbox, base_url = await start_embedded_sandbox(settings, clock)
        await app[UPSTREAM].open(base_url)
        await app[WEBHOOK_RELAY].open()
        await app[STATE].open()
        watcher = app.get(EXPIRY_WATCHER)
        if watcher is not None:
            await watcher.open()
        yield
        if watcher is not None:
            await watcher.close()
        await app[STATE].close()
        await app[WEBHOOK_RELAY].close()
        await app[UPSTREAM].close()
        if sandbox is not None:
            await sandbox.cleanup()

    return lifecycle


def listen_url(listen: str) -> str:
    """The URL of a HOST:PORT listen address, as a client on this machine reaches it."""
    host, port = parse_listen(listen)
    host = "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host  # noqa: S104 - a name, not a bind
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _public_url(settings: Settings) -> str:
    if settings.server.public_url:
        return settings.server.public_url
    url = listen_url(settings.server.listen)
    if settings.upstream.url != SANDBOX:
        _log.warning("server.public_url is not set: webhook relay URLs will name %s", url)
    return url


def _emulators(settings: Settings, app: web.Application, secrets: WebhookSecrets) -> Emulators:
    stats, state = app[COMPONENT_STATS], app[STATE]
    relayer = CallbackRelayer(
        settings.webhooks,
        secrets.relay_key,
        _public_url(settings),
        app.get(EXPIRY_WATCHER),
        app[CLIENT_USAGE].uses_webhooks,
    )
    return Emulators(
        {
            CallbackRelay: relayer,
            OffsetPagination: OffsetPaginator(settings.pagination, state.lists, stats),
            TeamIdLookup: TeamLookup(state.teams, app[UPSTREAM].send),
        }
    )


def _observability(app: web.Application, registry: CollectorRegistry) -> ComponentStats:
    settings = app[SETTINGS]
    stats = ComponentStats()
    registry.register(ComponentCollector(stats))
    app[REGISTRY] = registry
    app[REQUEST_INSTRUMENTS] = RequestInstruments(registry)
    app[DERIVED_FIELDS] = DerivedFieldCounts(registry, app[BUNDLE].derived_names)
    app[COMPONENT_STATS] = stats
    app[CLIENT_NAMES] = ClientNames(settings.metrics.client_names, settings.metrics.max_clients)
    app[SUNSET_HEADERS] = (
        sunset_headers(app[BUNDLE], settings.deprecation) if settings.deprecation.enabled else {}
    )
    return stats


def _client_versions(bundle: VersionBundle) -> list[str]:
    """Every version a client may be served, the unversioned one included."""
    versions = [*bundle.supported]
    if bundle.unversioned is not None:
        versions.append(bundle.unversioned.value)
    return versions


def _check_status_words(overrides: dict[str, str], bundle: VersionBundle) -> None:
    """`translation.status_words` replaces words in every version that declares words: each one
    must be a word that version's clients know, or some client would read a word it never had."""
    for version in _client_versions(bundle):
        known = set(bundle.terms(version).status_words.values())
        for status, word in overrides.items():
            if known and word not in known:
                raise ConfigError(
                    f"translation.status_words.{status}: {word!r} is not a status word of "
                    f"version {version} ({', '.join(sorted(known))})"
                )


def _plans(bundle: VersionBundle, status_overrides: dict[str, str]) -> dict[str, VersionPlan]:
    """One plan per version a client may be served, the unversioned one included: a callback
    relayed for it is translated with its plan even after its routes are switched off."""
    return {
        version: plan_version(bundle, version, status_overrides)
        for version in _client_versions(bundle)
    }


async def _close_access_log(app: web.Application) -> None:
    app[ACCESS_LOG].close()


async def _release_waiters(app: web.Application) -> None:
    app[WAIT_HUB].release_all()


def create_app(
    settings: Settings,
    *,
    bundle: VersionBundle = SHIPPED_BUNDLE,
    clock: Clock | None = None,
    secrets: WebhookSecrets | None = None,
    registry: CollectorRegistry | None = None,
    access_log: AccessLog | None = None,
    sandbox_url: str | None = None,
) -> web.Application:
    """The proxy app. With `upstream.url: sandbox` it embeds a sandbox of its own, unless
    `sandbox_url` names one already running (a supervisor's, shared by its workers)."""
    _check_versions(settings, bundle)
    clock = clock or SystemClock()
    app = web.Application(client_max_size=settings.server.max_translated_body_bytes)
    app[SETTINGS] = settings
    app[BUNDLE] = bundle
    status_words = {str(k): str(v) for k, v in settings.translation.status_words.items()}
    _check_status_words(status_words, bundle)
    app[PLANS] = _plans(bundle, status_words)
    if bundle.unversioned is not None and settings.versions.serve_jobs_routes:
        app[UNVERSIONED_PLAN] = app[PLANS][bundle.unversioned.value]
    # The proxy's own error answers know no plan: they take the default version's terms.
    app[MIGRATION_CONTEXT] = app[PLANS][settings.versions.default].context
    stats = _observability(app, registry or CollectorRegistry())
    app[READINESS] = Readiness(settings.admin.ready_window_seconds, clock)
    app[ACCESS_LOG] = access_log or AccessLog()
    app.on_cleanup.append(_close_access_log)
    app[UPSTREAM] = Upstream(
        timeout_seconds=settings.upstream.timeout_seconds,
        connect_timeout_seconds=settings.upstream.connect_timeout_seconds,
        max_connections=settings.upstream.max_connections,
        max_buffered_bytes=settings.server.max_translated_body_bytes,
        on_answer=app[READINESS].upstream_answered,
    )
    secrets = secrets or load_webhook_secrets(settings)
    app[STATE] = state = build_state(settings, clock, stats, secrets.relay_key)
    plans: dict[str, VersionPlan] = app[PLANS]
    app[CLIENT_USAGE] = usage = ClientUsage(
        settings.clients,
        state.clients,
        clock,
        upstream=bundle.upstream,
        served=plans.keys(),  # the pre-versioning clients too: the oldest of all
        names={**settings.metrics.client_names, **settings.clients.names},
    )
    app[WEBHOOK_RELAY] = WebhookRelay(
        settings.webhooks,
        secrets,
        app[PLANS],
        clock,
        stats,
        state.deliveries,
        state.expiry,
        usage.uses_webhooks,
    )
    app[WAIT_HUB] = WaitHub(
        settings.prefer_wait, WAIT_ROUTES, clock, app[UPSTREAM].send, stats, state.waits
    )
    if settings.webhooks.expiry_notices:
        app[EXPIRY_WATCHER] = ExpiryWatcher(
            settings,
            clock,
            app[UPSTREAM].send,
            state.expiry,
            app[WEBHOOK_RELAY],
            app[WAIT_HUB],
            stats,
        )
    app[EMULATORS] = _emulators(settings, app, secrets)
    _check_emulations(app[PLANS], app[EMULATORS])
    app.on_shutdown.append(_release_waiters)
    app.cleanup_ctx.append(_upstream_lifecycle(clock, sandbox_url))
    app.cleanup_ctx.append(usage.lifecycle)
    observe = RequestObserver(app).middleware()
    app.middlewares.append(observe)
    app.router.add_post(RELAY_PATH + "/{token}", relay_webhook)
    catch_all = app.router.add_route("*", "/{tail:.*}", proxy_request)
    app[PUBLIC_DISPATCH] = PublicDispatch(app, catch_all, observe, aside=RELAY_PATH + "/")
    return app


def create_admin_app(proxy: web.Application) -> web.Application:
    """The admin listener's app, reading the proxy's own state (never serving its traffic)."""
    app = web.Application(middlewares=[envelope_errors])
    app[SETTINGS] = proxy[SETTINGS]
    add_admin_routes(app, proxy)
    return app
