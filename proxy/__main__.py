"""`moda-compat-proxy` / `python -m proxy`: load settings, then serve until SIGTERM or SIGINT."""

import argparse
import asyncio
import gc
import importlib
import json
import logging
import os
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any, Final

import aiohttp
from aiohttp import web

from proxy import __version__
from proxy.app import create_admin_app, create_app
from proxy.clock import SystemClock
from proxy.config import ConfigError, Settings, load_settings, parse_listen
from proxy.keys import READINESS
from proxy.logs import configure_logging, tag_log_lines
from proxy.report_table import format_report
from proxy.server.listener import start_listener
from proxy.signals import stop_event
from proxy.workers import (
    WORKER_ENV,
    WorkerSpec,
    WorkerStartError,
    serve_worker,
    supervise,
    worker_count,
)

_log = logging.getLogger("proxy")
_DEFAULT_CONFIG: Final = Path("config.yaml")
EXIT_BAD_CONFIG: Final = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="moda-compat-proxy",
        description="Serve Moda API 2026-04-12 to legacy clients over a 2026-05-01 upstream.",
        epilog="`moda-compat-proxy sandbox [--listen HOST:PORT]` runs the sandbox Moda API alone; "
        "`moda-compat-proxy report --admin URL [--json]` prints the migration report.",
    )
    parser.add_argument(
        "--config", type=Path, help="config file (default: ./config.yaml if present)"
    )
    parser.add_argument("--listen", help="public HOST:PORT, overriding server.listen")
    parser.add_argument("--upstream", help="Moda base URL or `sandbox`, overriding upstream.url")
    parser.add_argument("--public-url", help="URL this proxy is reached at (server.public_url)")
    parser.add_argument("--admin-listen", help="admin HOST:PORT, overriding admin.listen")
    parser.add_argument(
        "--workers",
        help="server processes sharing the port: N (1-64) or `auto` (one per usable core), "
        "overriding server.workers",
    )
    parser.add_argument(
        "--check-config",
        action="store_true",
        help="validate the configuration and exit",
    )
    _add_version(parser)
    return parser


def _add_version(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--version", action="version", version=f"moda-compat-proxy {__version__}")


# The key each flag overrides; an error in a flag's value names the flag.
_FLAG_KEYS: Final = {
    "--listen": ("server", "listen"),
    "--public-url": ("server", "public_url"),
    "--upstream": ("upstream", "url"),
    "--admin-listen": ("admin", "listen"),
    "--workers": ("server", "workers"),
}


def _overrides(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    overrides: dict[str, dict[str, Any]] = {}
    for flag, (section, key) in _FLAG_KEYS.items():
        value = getattr(args, flag.removeprefix("--").replace("-", "_"))
        if value is not None:
            overrides.setdefault(section, {})[key] = value
    return overrides


def _settings(args: argparse.Namespace) -> Settings:
    path = args.config
    if path is None and _DEFAULT_CONFIG.is_file():
        path = _DEFAULT_CONFIG
    flag_names = {keys: flag for flag, keys in _FLAG_KEYS.items()}
    return load_settings(path, _overrides(args), os.environ, flag_names=flag_names)


async def _serve(settings: Settings, app: web.Application) -> None:
    proxy = await start_listener(app, settings.server, listen=settings.server.listen)
    admin = await start_listener(
        create_admin_app(app), settings.server, listen=settings.admin.listen
    )
    _log.info(
        "moda-compat-proxy listening on %s (admin on %s); upstream %s; clients without "
        "Moda-Version are served %s",
        proxy.url,
        admin.url,
        settings.upstream.url,
        settings.versions.default,
    )
    try:
        await stop_event().wait()
        # Readiness turns false first, so a load balancer stops sending before the port closes.
        app[READINESS].draining = True
        _log.info(
            "draining for %.1f s, then finishing in-flight requests", settings.server.drain_seconds
        )
        await asyncio.sleep(settings.server.drain_seconds)
    finally:
        await proxy.close()
        await admin.close()
    _log.info("stopped")


async def _serve_sandbox(settings: Settings, listen: str) -> None:
    from proxy.sandbox.app import create_sandbox_app  # only the sandbox command needs it

    app = create_sandbox_app(settings.sandbox, SystemClock())
    try:
        sandbox = await start_listener(app, settings.server, listen=listen)
    except OSError:
        # The app had started (its webhook client session open) before the port was refused.
        await app.cleanup()
        raise
    _log.info("sandbox Moda API (2026-05-01) listening on %s", sandbox.url)
    try:
        await stop_event().wait()
    finally:
        await sandbox.close()


def _run_sandbox(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="moda-compat-proxy sandbox")
    parser.add_argument("--config", type=Path, help="config file (its `sandbox` section is used)")
    parser.add_argument("--listen", default="127.0.0.1:8090", help="HOST:PORT (127.0.0.1:8090)")
    _add_version(parser)
    args = parser.parse_args(argv)
    try:
        path = args.config or (_DEFAULT_CONFIG if _DEFAULT_CONFIG.is_file() else None)
        settings = load_settings(path, environ=os.environ)
        parse_listen(args.listen)
    except ConfigError as exc:
        sys.stderr.write(f"moda-compat-proxy: bad configuration: {exc}\n")
        return EXIT_BAD_CONFIG
    except ValueError as exc:
        sys.stderr.write(f"moda-compat-proxy: bad configuration: --listen: {exc}\n")
        return EXIT_BAD_CONFIG
    try:
        _run(_serve_sandbox(settings, args.listen))
    except OSError as exc:
        sys.stderr.write(f"moda-compat-proxy: cannot listen: {exc}\n")
        return 1
    return 0


_REPORT_TIMEOUT_SECONDS: Final = 10.0


async def _fetch_report(admin_url: str) -> Any:
    url = admin_url.rstrip("/") + "/-/clients?format=json"
    timeout = aiohttp.ClientTimeout(total=_REPORT_TIMEOUT_SECONDS)
    async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as response:
        if response.status != 200:
            raise ValueError(f"{url} answered {response.status}")
        return await response.json()


def _run_report(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="moda-compat-proxy report",
        description="Print the migration report of a running proxy: who still sends legacy calls.",
    )
    parser.add_argument(
        "--admin", required=True, help="the proxy's admin URL, e.g. http://127.0.0.1:9180"
    )
    parser.add_argument("--json", action="store_true", help="print the report's JSON instead")
    args = parser.parse_args(argv)
    try:
        report = asyncio.run(_fetch_report(args.admin))
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        reason = str(exc) or type(exc).__name__
        sys.stderr.write(f"moda-compat-proxy: cannot read the report: {reason}\n")
        return 1
    if args.json:
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
    else:
        sys.stdout.write(format_report(report))
    return 0


def _run(main: Coroutine[Any, Any, None]) -> None:
    """Runs on uvloop where it is installed (everywhere but Windows): a cheaper event loop."""
    try:
        loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = importlib.import_module(
            "uvloop"
        ).new_event_loop
    except ImportError:
        loop_factory = None
    # What start-up made (modules, the app, its tables) lives as long as the process: moved out
    # of the collector's sight, a full collection no longer walks it, a pause that showed in p99.
    gc.freeze()
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(main)


def _run_worker(handoff: str) -> int:
    """A worker of a supervised proxy: everything it needs comes from its supervisor."""
    try:
        spec = WorkerSpec.decode(handoff)
        tag_log_lines(worker=spec.index)
        logging.getLogger().setLevel(spec.settings.logging.level)
        app = create_app(spec.settings, sandbox_url=spec.sandbox_url)
    except ConfigError as exc:
        sys.stderr.write(f"moda-compat-proxy: bad configuration: {exc}\n")
        return EXIT_BAD_CONFIG
    try:
        _run(serve_worker(spec, app))
    except OSError as exc:
        sys.stderr.write(f"moda-compat-proxy: cannot listen: {exc}\n")
        return 1
    return 0


def _serve_until_stopped(settings: Settings, app: web.Application) -> int:
    workers = worker_count(settings.server.workers)
    try:
        if workers == 1:
            _run(_serve(settings, app))
        else:
            _run(supervise(settings, app, workers))
    except OSError as exc:
        sys.stderr.write(f"moda-compat-proxy: cannot listen: {exc}\n")
        return 1
    except WorkerStartError as exc:
        sys.stderr.write(f"moda-compat-proxy: cannot start: {exc}\n")
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    configure_logging("INFO")
    handoff = os.environ.get(WORKER_ENV)
    if handoff is not None:
        return _run_worker(handoff)
    if argv[:1] == ["sandbox"]:
        return _run_sandbox(argv[1:])
    if argv[:1] == ["report"]:
        return _run_report(argv[1:])
    args = _parser().parse_args(argv)
    try:
        settings = _settings(args)
        logging.getLogger().setLevel(settings.logging.level)
        app = create_app(settings)
    except ConfigError as exc:
        sys.stderr.write(f"moda-compat-proxy: bad configuration: {exc}\n")
        return EXIT_BAD_CONFIG
    if args.check_config:
        sys.stdout.write("configuration is valid\n")
        return 0
    return _serve_until_stopped(settings, app)


if __name__ == "__main__":
    sys.exit(main())
