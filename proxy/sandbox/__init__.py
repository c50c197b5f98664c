"""An in-memory Moda REST API (2026-05-01): the proxy's embedded default upstream."""

from proxy.sandbox.app import SANDBOX_STATE, SANDBOX_WEBHOOKS, create_sandbox_app
from proxy.sandbox.settings import SandboxSettings

__all__ = ["SANDBOX_STATE", "SANDBOX_WEBHOOKS", "SandboxSettings", "create_sandbox_app"]
