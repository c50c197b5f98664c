"""Webhook secrets, read once at start-up from the environment or a file, never from config.yaml."""

import json
import logging
import os
import secrets as random_secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from proxy.config import SANDBOX, ConfigError, Settings
from proxy.core.credentials import credential_fingerprint

_log = logging.getLogger(__name__)
_FINGERPRINT_LENGTH = 32


@dataclass(frozen=True)
class WebhookSecrets:
    relay_key: bytes
    by_fingerprint: Mapping[str, str] = field(default_factory=dict)
    default: str | None = None

    def signing_secret(self, fingerprint: str | None) -> str | None:
        if fingerprint is not None and fingerprint in self.by_fingerprint:
            return self.by_fingerprint[fingerprint]
        return self.default

    def __repr__(self) -> str:  # secrets never reach a log line through a repr
        return (
            f"WebhookSecrets(keys={len(self.by_fingerprint)}, default={self.default is not None})"
        )


def _fingerprint_of(name: str) -> str:
    """An entry may name an API key (with or without `Bearer `) or its fingerprint."""
    is_fingerprint = len(name) == _FINGERPRINT_LENGTH and all(c in "0123456789abcdef" for c in name)
    if is_fingerprint:
        return name
    authorization = name if name.lower().startswith("bearer ") else f"Bearer {name}"
    fingerprint = credential_fingerprint(authorization)
    if fingerprint is None:
        raise ConfigError("webhook signing secrets: an entry has an empty API key")
    return fingerprint


def _entries(text: str, where: str) -> dict[str, str]:
    try:
        document: Any = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"{where}: not a JSON object of API key → signing secret") from exc
    if not isinstance(document, dict) or not all(
        isinstance(key, str) and isinstance(value, str) and value for key, value in document.items()
    ):
        raise ConfigError(f"{where}: not a JSON object of API key → signing secret")
    return {_fingerprint_of(key): value for key, value in document.items()}


def _relay_key(settings: Settings, environ: Mapping[str, str]) -> bytes:
    given = environ.get(settings.webhooks.relay_secret_env, "")
    if given:
        return given.encode()
    if settings.upstream.url == SANDBOX:  # the embedded sandbox dies with this process anyway
        return random_secrets.token_bytes(32)
    # A drop-in proxy still starts; relay URLs then die with this process, which the log says.
    _log.warning(
        "%s is not set: webhook relay URLs issued now stop working when this process restarts, "
        "and other replicas cannot serve them",
        settings.webhooks.relay_secret_env,
    )
    return random_secrets.token_bytes(32)


def load_webhook_secrets(
    settings: Settings, environ: Mapping[str, str] = os.environ
) -> WebhookSecrets:
    webhooks = settings.webhooks
    by_fingerprint: dict[str, str] = {}
    if webhooks.signing_secrets_file:
        path = Path(webhooks.signing_secrets_file)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"webhooks.signing_secrets_file: {exc.strerror or exc}") from exc
        by_fingerprint |= _entries(text, "webhooks.signing_secrets_file")
    listed = environ.get(webhooks.signing_secrets_env)
    if listed:
        by_fingerprint |= _entries(listed, webhooks.signing_secrets_env)
    default = environ.get(webhooks.signing_secret_env) or None
    if default is None and settings.upstream.url == SANDBOX:
        default = settings.sandbox.webhook_signing_secret
    return WebhookSecrets(_relay_key(settings, environ), by_fingerprint, default)
