"""The operational settings: pydantic models for config.yaml, validated once at start-up."""

from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    ValidationError,
)
from yarl import URL

from proxy.config_env import environment_layer
from proxy.config_error import ConfigError as ConfigError
from proxy.config_file import file_layer
from proxy.config_layers import KeyPath, Layer, merge_layers, origin_of
from proxy.config_messages import key_path, plain_problem
from proxy.config_sandbox import SandboxSettings

SANDBOX: Final = "sandbox"
UpstreamTaskStatus = Literal[
    "queued", "running", "succeeded", "failed", "canceled", "expired", "canceling"
]


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


def _date_as_version(value: object) -> object:
    """A version is its date: YAML reads an unquoted `2026-05-01` as one, and that is meant."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    return value


VersionName = Annotated[str, BeforeValidator(_date_as_version)]
_MOST_WORKERS: Final = 64


def _check_workers(value: object) -> object:
    """One plain error for the union below, instead of one per branch of it."""
    if value == "auto":
        return value
    number = int(value) if isinstance(value, str) and value.isdecimal() else value
    if isinstance(number, int) and not isinstance(number, bool) and 1 <= number <= _MOST_WORKERS:
        return number
    raise ValueError(f"expected a whole number from 1 to {_MOST_WORKERS}, or auto, got {value!r}")


WorkerCount = Annotated[
    Annotated[PositiveInt, Field(le=_MOST_WORKERS)] | Literal["auto"],
    BeforeValidator(_check_workers),
]


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
    workers: WorkerCount = Field(
        1, description="Server processes sharing the port; `auto` is one per core."
    )


class AdminSettings(_Section):
    listen: ListenAddress = Field(
        "127.0.0.1:9180", description="HOST:PORT of the admin listener (probes, metrics, versions)."
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


class ClientReportSettings(_Section):
    retention_days: PositiveInt = Field(
        14, le=366, description="Days a client's counts are kept after it was last seen."
    )
    max_clients: PositiveInt = Field(
        1_000, description="Clients the report tracks; the rest are counted as `other`."
    )
    max_routes_per_client: PositiveInt = Field(
        40, description="Route templates listed per client; the rest are counted as `other`."
    )
    max_user_agents: PositiveInt = Field(
        5, description="User agents kept per client; the rest are counted as `other`."
    )
    user_agent_chars: PositiveInt = Field(
        120, le=1_000, description="Longest user agent kept; longer ones are cut."
    )
    flush_seconds: PositiveFloat = Field(
        5.0, description="How often each process adds its counts to the shared report."
    )
    names: dict[str, str] = Field(
        default_factory=dict,
        description="Credential fingerprint → name shown in the report "
        "(else `metrics.client_names`).",
    )


class DeprecationSettings(_Section):
    enabled: bool = Field(True, description="Send Deprecation, Sunset and Link on legacy answers.")
    deprecated_at: AwareDatetime | None = Field(
        None,
        description="Replaces every older version's declared deprecation date (else its own).",
    )
    sunset_at: AwareDatetime | None = Field(
        None, description="Replaces every older version's declared sunset date (else its own)."
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
    version: VersionName = Field(
        "2026-05-01", description="Moda-Version sent upstream on every request."
    )
    timeout_seconds: PositiveFloat = Field(
        35.0,
        description="The upstream's own time: a translated exchange as a whole, or each turn of "
        "a streamed one (taking a body chunk, headers after the body, each body read); else 504.",
    )
    connect_timeout_seconds: PositiveFloat = Field(
        5.0, description="Budget for opening a connection to the upstream; else 502."
    )
    max_connections: PositiveInt = Field(
        256, description="Most simultaneous connections to the upstream."
    )


class VersionSettings(_Section):
    default: VersionName = Field(
        "2026-04-12", description="Version served to clients that send no Moda-Version."
    )
    serve_jobs_routes: bool = Field(
        True,
        description="Serve the pre-versioning `/v1/jobs` routes to clients that send no "
        "Moda-Version, on the task routes; false passes them through.",
    )


class TranslationSettings(_Section):
    status_words: dict[UpstreamTaskStatus, Annotated[str, Field(min_length=1)]] = Field(
        default_factory=dict,
        description="Replacements of the upstream status → legacy status word map, in every "
        "version that declares words; each must be one of that version's words.",
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
    expiry_notices: bool = Field(
        True,
        description="Send legacy callbacks `job.failed` for tasks that expired in the queue.",
    )
    expiry_poll_seconds: PositiveFloat = Field(
        30.0, description="How often a task started with a legacy `callback_url` is read."
    )
    expiry_watch_max_seconds: PositiveFloat = Field(
        86_400.0, description="Longest a task is read for expiry before the proxy gives up."
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
    clients: ClientReportSettings = ClientReportSettings()
    deprecation: DeprecationSettings = DeprecationSettings()
    sandbox: SandboxSettings = SandboxSettings()


def _problem(error: ValidationError, origins: Mapping[KeyPath, str]) -> str:
    """`WHERE: KEY: PROBLEM` for the first error, WHERE being a file and line, a variable or a
    flag (omitted for values given in code)."""
    detail = error.errors()[0]
    path = key_path(Settings, detail["loc"])
    line = f"{'.'.join(path) or 'the configuration'}: {plain_problem(Settings, path, detail)}"
    origin = origin_of(origins, path)
    return f"{origin}: {line}" if origin is not None else line


def settings_from_layers(*layers: Layer) -> Settings:
    """The settings of layers merged in order (later wins), or a one-line ConfigError."""
    merged = merge_layers(layers)
    try:
        return Settings.model_validate(dict(merged.sections))
    except ValidationError as exc:
        raise ConfigError(_problem(exc, merged.origins)) from None


def settings_from(data: Any, overrides: dict[str, dict[str, Any]] | None = None) -> Settings:
    """Settings from parsed YAML plus overrides, or a ConfigError naming the key."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError("the configuration must be a mapping of sections")
    return settings_from_layers(Layer(data), Layer(overrides or {}))


def load_settings(
    path: Path | None,
    overrides: dict[str, dict[str, Any]] | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    flag_names: Mapping[tuple[str, str], str] | None = None,
) -> Settings:
    """The file, then `MODA_PROXY__…` variables, then `overrides` (the command line) on top.

    `flag_names` tells which flag set each override, e.g. `("server", "listen"): "--listen"`, so
    that an error names it."""
    file = file_layer(path) if path is not None else Layer({})
    environment = environment_layer(environ or {}, Settings)
    given = overrides or {}
    names = flag_names or {}
    flags = Layer(
        given,
        {
            (section, key): names.get((section, key), "the command line")
            for section, values in given.items()
            for key in values
        },
    )
    return settings_from_layers(file, environment, flags)
