import json
from pathlib import Path

import pytest

from proxy.config import ConfigError, settings_from
from proxy.core.credentials import credential_fingerprint
from proxy.secrets import load_webhook_secrets

REAL = settings_from({"upstream": {"url": "https://api.moda.app"}})


def test_secrets_are_found_by_api_key_fingerprint_with_a_default() -> None:
    environ = {
        "MODA_PROXY_RELAY_SECRET": "relay",
        "MODA_PROXY_WEBHOOK_SECRETS": json.dumps(
            {"moda_live_a": "whsec_a", "Bearer moda_live_b": "whsec_b"}
        ),
        "MODA_PROXY_WEBHOOK_SECRET": "whsec_default",
    }
    secrets = load_webhook_secrets(REAL, environ)
    assert secrets.relay_key == b"relay"
    assert secrets.signing_secret(credential_fingerprint("Bearer moda_live_a")) == "whsec_a"
    assert secrets.signing_secret(credential_fingerprint("Bearer moda_live_b")) == "whsec_b"
    assert secrets.signing_secret(credential_fingerprint("Bearer moda_live_c")) == "whsec_default"
    assert "whsec" not in repr(secrets)


def test_a_secrets_file_is_read_too(tmp_path: Path) -> None:
    fingerprint = credential_fingerprint("Bearer moda_live_f")
    assert fingerprint is not None
    path = tmp_path / "secrets.json"
    path.write_text(json.dumps({fingerprint: "whsec_f"}))
    settings = settings_from(
        {
            "upstream": {"url": "https://api.moda.app"},
            "webhooks": {"signing_secrets_file": str(path)},
        }
    )
    secrets = load_webhook_secrets(settings, {"MODA_PROXY_RELAY_SECRET": "r"})
    assert secrets.signing_secret(fingerprint) == "whsec_f"
    assert secrets.signing_secret(None) is None


@pytest.mark.parametrize("listed", ["not json", "[1]", '{"moda_live_a": 3}', '{"moda_live_a": ""}'])
def test_a_malformed_secret_list_is_a_config_error(listed: str) -> None:
    with pytest.raises(ConfigError, match="MODA_PROXY_WEBHOOK_SECRETS"):
        load_webhook_secrets(REAL, {"MODA_PROXY_WEBHOOK_SECRETS": listed})


def test_without_a_relay_secret_a_random_one_is_used_and_the_sandbox_signs_by_default() -> None:
    sandbox = settings_from({})
    first, second = load_webhook_secrets(sandbox, {}), load_webhook_secrets(sandbox, {})
    assert first.relay_key != second.relay_key
    assert first.signing_secret(None) == sandbox.sandbox.webhook_signing_secret
    assert load_webhook_secrets(REAL, {}).signing_secret(None) is None
