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
        ({"translation": {"status_words": {"succeeded": "done"}}}, "translation.status_words"),
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
