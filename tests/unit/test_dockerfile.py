"""The image reads its listen addresses from the config it ships, so the environment and a mounted
config can move them; and that config listens where the Dockerfile says it does."""

import re
from ipaddress import ip_address

from proxy.config import Settings, load_settings, parse_listen
from tests import dockerfile
from tests.dockerfile import ROOT

LISTEN_FLAGS = {"--listen": ("server", "listen"), "--admin-listen": ("admin", "listen")}


def _program_args() -> list[str]:
    return [*dockerfile.exec_form("ENTRYPOINT")[1:], *dockerfile.exec_form("CMD")]


def _image_config_path() -> str:
    args = _program_args()
    return args[args.index("--config") + 1]


def _image_settings(environ: dict[str, str] | None = None) -> Settings:
    """What the program resolves in the container: the image's config, the environment, then
    the command's flags on top, as the program layers them."""
    args = _program_args()
    flags = {arg: args[index + 1] for index, arg in enumerate(args[:-1]) if arg.startswith("--")}
    overrides: dict[str, dict[str, object]] = {}
    for flag, (section, key) in LISTEN_FLAGS.items():
        if flag in flags:
            overrides.setdefault(section, {})[key] = flags[flag]
    config = dockerfile.copied_to(_image_config_path())
    return load_settings(config, overrides, environ or {})


def test_the_command_passes_no_address_flags() -> None:
    args = _program_args()
    flags = {arg.partition("=")[0] for arg in args if arg.startswith("--")}
    assert flags == {"--config"}, f"flags would beat the environment and a mounted config: {args}"
    assert not [name for name in dockerfile.environment() if name.startswith("MODA_PROXY__")], (
        "an image ENV would beat a mounted config"
    )


def test_the_images_config_listens_on_every_interface_at_the_exposed_ports() -> None:
    settings = _image_settings()
    public, admin = parse_listen(settings.server.listen), parse_listen(settings.admin.listen)
    # Loopback inside a container is out of reach of `docker run -p`.
    assert ip_address(public[0]).is_unspecified
    assert ip_address(admin[0]).is_unspecified
    assert {public[1], admin[1]} == dockerfile.exposed_ports()
    defaults = Settings()
    assert (public[1], admin[1]) == (
        parse_listen(defaults.server.listen)[1],
        parse_listen(defaults.admin.listen)[1],
    )


def test_the_health_check_asks_the_images_admin_listener() -> None:
    command = " ".join(dockerfile.healthcheck_command())
    found = re.search(r"http://127\.0\.0\.1:(\d+)/-/healthz", command)
    assert found, command
    assert int(found.group(1)) == parse_listen(_image_settings().admin.listen)[1]


def test_the_environment_moves_the_images_listeners() -> None:
    environ = {
        "MODA_PROXY__SERVER__LISTEN": "0.0.0.0:80",
        "MODA_PROXY__ADMIN__LISTEN": "0.0.0.0:81",
    }
    settings = _image_settings(environ)
    assert (settings.server.listen, settings.admin.listen) == ("0.0.0.0:80", "0.0.0.0:81")


def test_the_images_config_is_the_shipped_one_but_for_its_addresses() -> None:
    addresses = {"server": {"listen"}, "admin": {"listen"}}
    image = _image_settings().model_dump(exclude=addresses)
    assert image == load_settings(ROOT / "config.yaml").model_dump(exclude=addresses)
