"""The sandbox's knobs: the `sandbox` section of the proxy's config (`proxy/config_sandbox.py`)."""

from proxy.config_sandbox import SandboxSettings

__all__ = ["SandboxSettings"]
