"""The shipped config is valid, typos are refused, and docs/configuration.md documents every key."""

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from proxy.config import ConfigError, Settings, load_settings, settings_from

ROOT = Path(__file__).resolve().parents[2]


def test_the_shipped_config_is_valid_and_uses_the_sandbox() -> None:
    settings = load_settings(ROOT / "config.yaml")
    assert settings.upstream.url == "sandbox"
    assert settings.versions.default == "2026-04-12"


def test_no_file_gives_the_same_settings_as_the_shipped_one() -> None:
    shipped = load_settings(ROOT / "config.yaml")
    assert load_settings(None).model_dump(exclude={"sandbox"}) == shipped.model_dump(
        exclude={"sandbox"}
    )


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ({"server": {"lisen": "x"}}, "server.lisen"),
        ({"server": {"listen": "localhost"}}, "server.listen"),
        ({"upstream": {"url": "ftp://x"}}, "upstream.url"),
        ({"upstream": {"url": "https://api.moda.app?x=1"}}, "upstream.url"),
        ({"upstream": {"timeout_seconds": -1}}, "upstream.timeout_seconds"),
        ({"translation": {"status_words": {"paused": "done"}}}, "translation.status_words"),
        ({"state": {"backend": "postgres"}}, "state.backend"),
        ({"state": {"redis_url": "http://cache:6379"}}, "state.redis_url"),
        ({"server": {"workers": 0}}, "server.workers"),
        ({"server": {"workers": "many"}}, "server.workers"),
        ([1, 2], "mapping"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_key(data: object, named: str) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from(data)
    assert named in str(caught.value)
    assert "\n" not in str(caught.value)


def test_overrides_win_over_the_file(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("upstream:\n  url: https://api.moda.app\n")
    settings = load_settings(
        path, {"upstream": {"url": "sandbox"}, "server": {"listen": "[::1]:81"}}
    )
    assert (settings.upstream.url, settings.server.listen) == ("sandbox", "[::1]:81")


def test_a_missing_or_broken_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.yaml"):
        load_settings(tmp_path / "nope.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("server: [\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_settings(broken)


def _keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    keys: list[str] = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if name == "sandbox":
                keys.append("sandbox.*")
            else:
                keys.extend(_keys(annotation, f"{prefix}{name}."))
        else:
            keys.append(f"{prefix}{name}")
    return keys


def test_the_configuration_doc_lists_exactly_the_config_keys() -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text()
    documented = re.findall(r"^\| `([a-z_]+\.[a-z_.*]+)` \|", doc, flags=re.MULTILINE)
    assert sorted(documented) == sorted(_keys(Settings))


def test_environment_variables_override_the_file_and_flags_override_both(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("upstream:\n  url: https://files.example\nserver:\n  listen: 127.0.0.1:1\n")
    environ = {
        "MODA_PROXY__UPSTREAM__URL": "https://env.example",
        "MODA_PROXY__SERVER__LISTEN": "127.0.0.1:2",
        "MODA_PROXY__PREFER_WAIT__ROUTE_MAX_SECONDS": '{"POST /v1/brand-kits": 25}',
        "UNRELATED": "x",
    }
    settings = load_settings(path, {"server": {"listen": "127.0.0.1:3"}}, environ)
    assert settings.upstream.url == "https://env.example"
    assert settings.server.listen == "127.0.0.1:3"
    assert settings.prefer_wait.route_max_seconds == {"POST /v1/brand-kits": 25}


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"MODA_PROXY__UPSTREAM": "x"}, "MODA_PROXY__UPSTREAM"),
        ({"MODA_PROXY__NOPE__KEY": "1"}, "nope"),
        (
            {"MODA_PROXY__UPSTREAM__TIMEOUT_SECONDS": "[unclosed"},
            "MODA_PROXY__UPSTREAM__TIMEOUT_SECONDS",
        ),
    ],
)
def test_a_bad_environment_override_is_a_config_error_naming_it(
    environ: dict[str, str], named: str
) -> None:
    with pytest.raises(ConfigError, match=named):
        load_settings(None, None, environ)


# --- values from the environment are text; a version may be written as a date ----------------


def test_a_version_from_the_environment_is_the_text_it_spells() -> None:
    environ = {
        "MODA_PROXY__VERSIONS__DEFAULT": "2026-05-01",
        "MODA_PROXY__UPSTREAM__VERSION": "2026-05-01",
    }
    settings = load_settings(None, None, environ)
    assert (settings.versions.default, settings.upstream.version) == ("2026-05-01", "2026-05-01")


def test_an_unquoted_version_date_in_the_file_is_that_version(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("versions:\n  default: 2026-05-01\nupstream:\n  version: 2026-05-01\n")
    settings = load_settings(path)
    assert (settings.versions.default, settings.upstream.version) == ("2026-05-01", "2026-05-01")


def test_environment_values_are_text_unless_the_key_holds_something_else() -> None:
    environ = {
        "MODA_PROXY__STATE__KEY_PREFIX": "no",  # YAML would have read `false`
        "MODA_PROXY__WEBHOOKS__RELAY_SECRET_ENV": "2026-05-01",
        "MODA_PROXY__LOGGING__ACCESS_LOG": "false",
        "MODA_PROXY__UPSTREAM__TIMEOUT_SECONDS": "12.5",
        "MODA_PROXY__SERVER__WORKERS": "3",
        "MODA_PROXY__SERVER__PUBLIC_URL": "",  # empty unsets an optional key
        "MODA_PROXY__DEPRECATION__SUNSET_AT": "2026-06-01T00:00:00Z",
        "MODA_PROXY__SANDBOX__WEBHOOK_RETRY_DELAYS": "[1, 2.5]",
        "MODA_PROXY__METRICS__CLIENT_NAMES": '{"0123456789ab": "2026"}',
    }
    settings = load_settings(None, {"server": {"public_url": None}}, environ)
    assert settings.state.key_prefix == "no"
    assert settings.webhooks.relay_secret_env == "2026-05-01"
    assert settings.logging.access_log is False
    assert settings.upstream.timeout_seconds == 12.5
    assert settings.server.workers == 3
    assert settings.server.public_url is None
    assert settings.deprecation.sunset_at is not None
    assert settings.deprecation.sunset_at.isoformat() == "2026-06-01T00:00:00+00:00"
    assert settings.sandbox.webhook_retry_delays == (1.0, 2.5)
    assert settings.metrics.client_names == {"0123456789ab": "2026"}


# --- one line, in plain words, naming the key and where it was written ------------------------

PYDANTIC_WORDS = (
    "Extra inputs",
    "constrained-int",
    "Input should",
    "[type=",
    "pydantic",
    "literal[",
    "validation error",
)


def _problem(path: Path | None, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        load_settings(path, None, environ or {})
    message = str(caught.value)
    assert "\n" not in message
    assert not [words for words in PYDANTIC_WORDS if words in message], message
    return message


def test_a_misspelled_key_in_the_file_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("server:\n  listen: 127.0.0.1:8080\n  lisen: 127.0.0.1:1\n")
    assert (
        _problem(path) == f"{path}, line 3: server.lisen: unknown key; did you mean server.listen?"
    )


def test_a_bad_value_in_the_file_names_its_line_even_inside_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("translation:\n  status_words:\n    expired: failed\n    paused: done\n")
    assert _problem(path).startswith(f"{path}, line 4: translation.status_words.paused: ")


def test_an_environment_typo_names_the_variable_and_the_one_meant() -> None:
    message = _problem(None, {"MODA_PROXY__SERVR__LISTEN": "0.0.0.0:8080"})
    assert message.startswith("MODA_PROXY__SERVR__LISTEN: ")
    assert message.endswith("did you mean MODA_PROXY__SERVER__LISTEN?")
    message = _problem(None, {"MODA_PROXY__SERVER__LISTN": "0.0.0.0:8080"})
    assert message.startswith("MODA_PROXY__SERVER__LISTN: ")
    assert message.endswith("did you mean MODA_PROXY__SERVER__LISTEN?")


def test_a_bad_value_from_the_environment_names_the_variable_not_the_file(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("pagination:\n  max_limit: 50\n")
    message = _problem(path, {"MODA_PROXY__PAGINATION__MAX_LIMIT": "lots"})
    assert message == (
        "MODA_PROXY__PAGINATION__MAX_LIMIT: pagination.max_limit: expected a whole number, "
        "got 'lots'"
    )


def test_a_yaml_syntax_error_is_one_line_with_its_position(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("server:\n  listen: 127.0.0.1:8080\n   public_url: x\n")
    message = _problem(path)
    assert message.startswith(f"{path}, line 3, column ")
    assert "not valid YAML" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "server:\n  workers: 0\n",
            "server.workers: expected a whole number from 1 to 64, or auto",
        ),
        ("pagination:\n  max_limit: 0\n", "pagination.max_limit: must be more than 0, got 0"),
        ("pagination:\n  count_max_pages: -1\n", "pagination.count_max_pages: must be at least 0"),
        ("pagination:\n  max_limit: many\n", "pagination.max_limit: expected a whole number"),
        ("server:\n  max_header_bytes: 99999999\n", "server.max_header_bytes: must be at most"),
        ("logging:\n  access_log: maybe\n", "logging.access_log: expected true or false"),
        ("state:\n  backend: postgres\n", "state.backend: expected 'memory' or 'redis'"),
        ("server: 5\n", "server: expected a mapping of keys to values, got a number"),
        ("server:\n  public_url: 2026-05-01\n", "server.public_url: expected text, got the date"),
    ],
)
def test_a_bad_value_reads_in_plain_words(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    assert expected in _problem(path)


def test_a_bad_flag_is_named_as_the_flag() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(None, {"server": {"listen": "nowhere"}}, {}, flag_names=FLAG)
    assert str(caught.value) == "--listen: server.listen: expected HOST:PORT, got 'nowhere'"


FLAG = {("server", "listen"): "--listen"}


PROMETHEUS_PORT = 9090


def test_the_admin_port_is_9180_not_prometheus_own_9090() -> None:
    assert Settings().admin.listen == "127.0.0.1:9180"
    assert load_settings(ROOT / "config.yaml").admin.listen == "127.0.0.1:9180"
    shipped = [ROOT / "config.yaml", ROOT / "Dockerfile", *sorted((ROOT / "deploy").rglob("*"))]
    shipped += sorted((ROOT / "proxy").rglob("*.py"))
    mentions = [p for p in shipped if p.is_file() and str(PROMETHEUS_PORT) in p.read_text()]
    assert not mentions, f"Prometheus's own port {PROMETHEUS_PORT} is still named in {mentions}"
