"""The operational settings: pydantic models for config.yaml, validated once at start-up."""

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Final, Literal

import yaml
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    ValidationError,
)
from yarl import URL

from proxy.sandbox.settings import SandboxSettings

SANDBOX: Final = "sandbox"
ClientStatusWord = Literal["queued", "running", "completed", "failed", "cancelled"]
UpstreamTaskStatus = Literal[
    "queued", "running", "succeeded", "failed", "canceled", "expired", "canceling"
]


class ConfigError(Exception):
    """A configuration that cannot be served; the message is one readable line."""


def parse_listen(value: str) -> tuple[str, int]:
    host, sep, port_text = value.rpartition(":")
    if not sep or not host or not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise ValueError(f"expected HOST:PORT, got {value!r}")
    return host.strip("[]"), int(port_text)


def _check_listen(value: str) -> str:
    parse_listen(value)
    return value


def _check_base_url(value: str, *, allow_sandbox: bool) -> str:
    if allow_sandbox and value == SANDBOX:
        return value
    url = URL(value)
    if url.scheme not in {"http", "https"} or not url.host or url.query_string or url.fragment:
        raise ValueError(f"expected an http(s) URL with a host and no query, got {value!r}")
    return value.rstrip("/")


def _check_upstream_url(value: str) -> str:
    return _check_base_url(value, allow_sandbox=True)


def _check_public_url(value: str) -> str:
    return _check_base_url(value, allow_sandbox=False)


ListenAddress = Annotated[str, AfterValidator(_check_listen)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerSettings(_Section):
    listen: ListenAddress = Field("127.0.0.1:8080", description="Public HOST:PORT clients call.")
    public_url: Annotated[str, AfterValidator(_check_public_url)] | None = Field(
        None, description="The URL the upstream and clients reach this proxy at."
    )
    max_body_bytes: PositiveInt = Field(
        64 * 1024 * 1024,
        description="Largest request body passed through (streamed); else 413.",
    )
    max_translated_body_bytes: PositiveInt = Field(
        1024 * 1024,
        description="Largest JSON body the proxy parses to translate; else 413/502.",
    )
    shutdown_grace_seconds: PositiveFloat = Field(
        10.0, description="Time in-flight requests get to finish on SIGTERM."
    )
    max_header_bytes: PositiveInt = Field(
        16 * 1024, le=60 * 1024, description="Largest total of request header bytes; else 431."
    )
    client_body_timeout_seconds: PositiveFloat = Field(
        30.0,
        description="Time a client gets to send a body the proxy translates, and the longest "
        "pause allowed in a body streamed through; else 408.",
    )
    header_timeout_seconds: PositiveFloat = Field(
        10.0, description="Time a new connection gets to send its first request head; else closed."
    )
    keepalive_timeout_seconds: PositiveFloat = Field(
        15.0, description="Idle time after which a kept-alive client connection is closed."
    )
    drain_seconds: NonNegativeFloat = Field(
        0.0, description="On SIGTERM, time readiness reports false before the listener closes."
    )
    workers: Annotated[PositiveInt, Field(le=64)] | Literal["auto"] = Field(
        1, description="Server processes sharing the port; `auto` is one per core."
    )


class AdminSettings(_Section):
    listen: ListenAddress = Field(
        "127.0.0.1:9090", description="HOST:PORT of the admin listener (probes, metrics, versions)."
    )
    ready_window_seconds: PositiveFloat = Field(
        30.0, description="Readiness needs an upstream answer this recent (else it probes)."
    )


class LoggingSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Lowest level of log line written."
    )
    access_log: bool = Field(True, description="One JSON line per request on standard error.")


class MetricsSettings(_Section):
    max_clients: PositiveInt = Field(
        100, description="Distinct legacy clients named in metrics; the rest count as `other`."
    )
    client_names: dict[str, str] = Field(
        default_factory=dict, description="Credential fingerprint → name shown in metrics."
    )


class DeprecationSettings(_Section):
    enabled: bool = Field(True, description="Send Deprecation, Sunset and Link on legacy answers.")
    deprecated_at: AwareDatetime = Field(
        datetime(2026, 5, 1, tzinfo=UTC), description="When the legacy version was deprecated."
    )
    sunset_at: AwareDatetime = Field(
        datetime(2026, 5, 12, tzinfo=UTC), description="When Moda stopped serving it."
    )
    successor_url: str = Field(
        "https://docs.moda.app/api-reference/versioning",
        description="Where clients read about the version to move to.",
    )


class UpstreamSettings(_Section):
    url: Annotated[str, AfterValidator(_check_upstream_url)] = Field(
        SANDBOX,
        description="Moda base URL, or `sandbox` for the embedded in-memory Moda API.",
    )
    version: str = Field("2026-05-01", description="Moda-Version sent upstream on every request.")
    timeout_seconds: PositiveFloat = Field(
        35.0,
        description="Budget for the upstream's headers and any buffered body; else 504.",
    )
    connect_timeout_seconds: PositiveFloat = Field(
        5.0, description="Budget for opening a connection to the upstream; else 502."
    )
    max_connections: PositiveInt = Field(
        256, description="Most simultaneous connections to the upstream."
    )


class VersionSettings(_Section):
    default: str = Field(
        "2026-04-12", description="Version served to clients that send no Moda-Version."
    )


class TranslationSettings(_Section):
    status_words: dict[UpstreamTaskStatus, ClientStatusWord] = Field(
        default_factory=dict,
        description="Overrides of the upstream status → legacy status word map.",
    )


class PaginationSettings(_Section):
    default_limit: PositiveInt = Field(20, description="Legacy `limit` when the client sends none.")
    max_limit: PositiveInt = Field(
        100, description="Largest legacy `limit`; may exceed one upstream page."
    )
    upstream_page_size: PositiveInt = Field(
        100, description="Upstream `limit` used while walking (Moda's maximum is 100)."
    )
    ttl_seconds: PositiveFloat = Field(
        60.0, description="How long a list's checkpoints and total are reused."
    )
    max_lists: PositiveInt = Field(
        10_000, description="Lists (credential + path + filters) remembered at once."
    )
    max_anchors_per_list: PositiveInt = Field(
        1_000, description="Checkpoints kept per list at multiples of the upstream page size."
    )
    count_max_pages: NonNegativeInt = Field(
        100, description="Upstream pages one request may walk to make `total` exact."
    )
    max_walk_pages: PositiveInt = Field(
        1_000, description="Upstream pages one request may walk to reach its offset; else 400."
    )


class PreferWaitSettings(_Section):
    max_seconds: PositiveFloat = Field(
        20.0, description="Longest `Prefer: wait` the proxy holds (under a 30 s gateway)."
    )
    route_max_seconds: dict[str, PositiveFloat] = Field(
        default_factory=dict,
        description='Per-route maxima, e.g. `{"POST /v1/brand-kits": 25}`.',
    )
    min_poll_interval_seconds: PositiveFloat = Field(
        0.5, description="Floor under the upstream's `retry_after_ms` between polls."
    )
    default_poll_interval_seconds: PositiveFloat = Field(
        3.0, description="Poll interval when the upstream gives no `retry_after_ms`."
    )
    poll_jitter_ratio: float = Field(
        0.1, ge=0, le=1, description="Up to this fraction is added to each poll interval."
    )


class WebhookSettings(_Section):
    relay_secret_env: str = Field(
        "MODA_PROXY_RELAY_SECRET",
        description="Variable holding the key that seals relay URLs (same on every replica).",
    )
    signing_secrets_env: str = Field(
        "MODA_PROXY_WEBHOOK_SECRETS",
        description="Variable holding a JSON object: API key (or fingerprint) → signing secret.",
    )
    signing_secret_env: str = Field(
        "MODA_PROXY_WEBHOOK_SECRET",
        description="Variable holding one signing secret for every API key.",
    )
    signing_secrets_file: str | None = Field(
        None, description="A JSON file like `signing_secrets_env`, e.g. a mounted Secret."
    )
    allow_http_callbacks: bool = Field(
        False, description="Accept plain-http `callback_url`s (local testing only)."
    )
    allow_private_callback_hosts: bool = Field(
        False, description="Accept `callback_url`s on loopback or private addresses (testing only)."
    )
    delivery_timeout_seconds: float = Field(
        20.0, gt=0, lt=30, description="Time a client's endpoint gets to answer (Moda waits 30 s)."
    )
    timestamp_tolerance_seconds: PositiveFloat = Field(
        300.0, description="Oldest upstream signature timestamp the relay accepts."
    )
    remembered_deliveries: PositiveInt = Field(
        100_000, description="Delivered event ids kept to refuse replays."
    )


def _check_redis_url(value: str) -> str:
    url = URL(value)
    if url.scheme not in {"redis", "rediss", "unix"} or not (url.host or url.path):
        raise ValueError("expected redis://[:password@]host:port/db, rediss://… or unix://path")
    return value


class StateSettings(_Section):
    backend: Literal["memory", "redis"] = Field(
        "memory", description="Where checkpoints, team ids, replay ids and wait leases live."
    )
    redis_url: Annotated[str, AfterValidator(_check_redis_url)] = Field(
        "redis://127.0.0.1:6379/0", description="The Redis server of the `redis` backend."
    )
    key_prefix: str = Field(
        "moda-proxy:", description="Prefix of every Redis key, to share one Redis safely."
    )
    timeout_seconds: PositiveFloat = Field(
        0.25, description="Longest a Redis command may take before this request falls back."
    )
    retry_seconds: PositiveFloat = Field(
        2.0, description="After a Redis failure, time spent on per-process state before retrying."
    )
    wait_lease_seconds: PositiveFloat = Field(
        5.0, description="How long a replica's claim to poll a waited-on task lasts unrenewed."
    )
    wait_follow_interval_seconds: PositiveFloat = Field(
        0.25, description="How often replicas not polling a task read its latest state."
    )


class Settings(_Section):
    server: ServerSettings = ServerSettings()
    admin: AdminSettings = AdminSettings()
    upstream: UpstreamSettings = UpstreamSettings()
    versions: VersionSettings = VersionSettings()
    translation: TranslationSettings = TranslationSettings()
    pagination: PaginationSettings = PaginationSettings()
    prefer_wait: PreferWaitSettings = PreferWaitSettings()
    webhooks: WebhookSettings = WebhookSettings()
    state: StateSettings = StateSettings()
    logging: LoggingSettings = LoggingSettings()
    metrics: MetricsSettings = MetricsSettings()
    deprecation: DeprecationSettings = DeprecationSettings()
    sandbox: SandboxSettings = SandboxSettings()


def _first_error(error: ValidationError) -> str:
    detail = error.errors()[0]
    where = ".".join(str(part) for part in detail["loc"]) or "(top level)"
    return f"{where}: {detail['msg']}"


ENV_PREFIX: Final = "MODA_PROXY__"


def environment_overrides(environ: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """`MODA_PROXY__<SECTION>__<KEY>=<YAML value>` for every key, for container deployments."""
    overrides: dict[str, dict[str, Any]] = {}
    for name, text in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        section, separator, key = name[len(ENV_PREFIX) :].lower().partition("__")
        if not separator or not section or not key:
            raise ConfigError(f"{name}: expected {ENV_PREFIX}<SECTION>__<KEY>")
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(f"{name}: not a YAML value ({exc})") from exc
        overrides.setdefault(section, {})[key] = value
    return overrides


def settings_from(data: Any, overrides: dict[str, dict[str, Any]] | None = None) -> Settings:
    """Settings from parsed YAML plus command-line overrides, or a ConfigError naming the key."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError("the configuration must be a mapping of sections")
    for section, values in (overrides or {}).items():
        current = data.get(section)
        data[section] = {**(current if isinstance(current, dict) else {}), **values}
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_first_error(exc)) from exc


def load_settings(
    path: Path | None,
    overrides: dict[str, dict[str, Any]] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """The file, then `MODA_PROXY__…` variables, then `overrides` (the command line) on top."""
    data: Any = None
    if path is not None:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"{path}: {exc.strerror or exc}") from exc
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML ({exc})") from exc
    layered = environment_overrides(environ or {})
    for section, values in (overrides or {}).items():
        layered.setdefault(section, {}).update(values)
    return settings_from(data, layered)
