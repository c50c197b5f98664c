"""The Kubernetes examples under deploy/ agree with the program and its Dockerfile.

They are only YAML, so nothing else would notice a probe on the wrong port, a config the proxy
refuses, a Service that exposes the admin listener or a grace period shorter than the proxy's own.
"""

import asyncio
import base64
import json
import shlex
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, cast

import pytest
import yaml
from aiohttp import web
from yarl import URL

from proxy.config import Settings, load_settings, parse_listen, settings_from
from tests import dockerfile

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
EXAMPLES = ("gateway", "sidecar")
PROXY_IMAGE = "moda-compat-proxy"
SECRET_ENV = ("MODA_PROXY_RELAY_SECRET", "MODA_PROXY_WEBHOOK_SECRETS", "MODA_PROXY_WEBHOOK_SECRET")
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})

Manifest = dict[str, Any]


def _documents(path: Path) -> list[Manifest]:
    with path.open(encoding="utf-8") as stream:
        return [cast(Manifest, doc) for doc in yaml.safe_load_all(stream) if doc is not None]


def _yaml_files() -> list[Path]:
    return sorted(p for p in KUBERNETES.rglob("*") if p.suffix in {".yaml", ".yml"})


def _all_documents() -> list[Manifest]:
    return [doc for path in _yaml_files() for doc in _documents(path)]


def _of_kind(documents: list[Manifest], kind: str) -> list[Manifest]:
    return [doc for doc in documents if doc.get("kind") == kind]


def _port_number(listen: str) -> int:
    return parse_listen(listen)[1]


DEFAULTS = Settings()
PUBLIC_PORT = _port_number(DEFAULTS.server.listen)
ADMIN_PORT = _port_number(DEFAULTS.admin.listen)


def _flag(args: list[str], name: str) -> str | None:
    """The value of `--name VALUE` or `--name=VALUE` in an argument list (the last one wins)."""
    value = None
    for index, arg in enumerate(args):
        if arg == name and index + 1 < len(args):
            value = args[index + 1]
        elif arg.startswith(f"{name}="):
            value = arg.partition("=")[2]
    return value


@dataclass(frozen=True)
class Example:
    name: str
    documents: list[Manifest]
    deployment: Manifest
    container: Manifest
    config_map: Manifest

    @property
    def pod(self) -> Manifest:
        return cast(Manifest, self.deployment["spec"]["template"]["spec"])

    @property
    def args(self) -> list[str]:
        """What the container runs with: its own args, else the image's CMD."""
        return cast(list[str], self.container.get("args", dockerfile.exec_form("CMD")))

    @property
    def config_text(self) -> str:
        return cast(str, self.config_map["data"]["config.yaml"])

    def settings(self) -> Settings:
        """The configuration the proxy starts with: the ConfigMap, then the command-line flags."""
        overrides: dict[str, dict[str, Any]] = {}
        for flag, section in (("--listen", "server"), ("--admin-listen", "admin")):
            value = _flag(self.args, flag)
            if value is not None:
                overrides[section] = {"listen": value}
        return settings_from(yaml.safe_load(self.config_text), overrides)

    def port(self, name: str) -> int | None:
        for port in self.container.get("ports", []):
            if port.get("name") == name:
                return cast(int, port["containerPort"])
        return None


def _proxy_containers(deployment: Manifest) -> list[Manifest]:
    pod = deployment["spec"]["template"]["spec"]
    containers = [*pod.get("initContainers", []), *pod.get("containers", [])]
    return [c for c in containers if PROXY_IMAGE in c["image"].rpartition("/")[2]]


@cache
def _example(name: str) -> Example:
    documents = [
        doc for path in sorted((KUBERNETES / name).glob("*.yaml")) for doc in _documents(path)
    ]
    with_proxy = [
        (deployment, container)
        for deployment in _of_kind(documents, "Deployment")
        for container in _proxy_containers(deployment)
    ]
    assert len(with_proxy) == 1, f"{name}: exactly one Deployment runs the proxy"
    deployment, container = with_proxy[0]
    mounted = {
        volume["configMap"]["name"]
        for volume in deployment["spec"]["template"]["spec"].get("volumes", [])
        if "configMap" in volume
    }
    config_maps = [
        cm for cm in _of_kind(documents, "ConfigMap") if cm["metadata"]["name"] in mounted
    ]
    assert len(config_maps) == 1, f"{name}: the proxy mounts one ConfigMap of this example"
    return Example(name, documents, deployment, container, config_maps[0])


@pytest.fixture(params=EXAMPLES)
def example(request: pytest.FixtureRequest) -> Example:
    return _example(cast(str, request.param))


# --- every file -----------------------------------------------------------------------------


def test_there_are_manifests() -> None:
    assert _yaml_files()
    for name in EXAMPLES:
        assert (KUBERNETES / name / "kustomization.yaml").is_file()


@pytest.mark.parametrize("path", _yaml_files(), ids=lambda p: str(p.relative_to(DEPLOY)))
def test_every_document_parses_and_names_itself(path: Path) -> None:
    documents = _documents(path)
    assert documents, f"{path} has no document"
    for document in documents:
        assert isinstance(document, dict)
        assert document.get("apiVersion"), f"{path}: a document without apiVersion"
        assert document.get("kind"), f"{path}: a document without kind"
        assert document.get("metadata", {}).get("name"), f"{path}: a document without a name"


@pytest.mark.parametrize(
    "kustomization", sorted(DEPLOY.rglob("kustomization.yaml")), ids=lambda p: p.parent.name
)
def test_a_kustomization_lists_every_manifest_beside_it_but_secrets(kustomization: Path) -> None:
    (document,) = _documents(kustomization)
    listed = set(document["resources"])
    for resource in listed:
        assert (kustomization.parent / resource).is_file(), f"{resource} does not exist"
    for path in kustomization.parent.glob("*.yaml"):
        if path.name == kustomization.name or path.name in listed:
            continue
        # A Secret of placeholders is applied once by hand, never reset by `kubectl apply -k`.
        kinds = {doc["kind"] for doc in _documents(path)}
        assert kinds == {"Secret"}, f"{path.name} is not in {kustomization}"


# --- the proxy container of each example ----------------------------------------------------


def test_the_proxy_listens_on_the_programs_ports(example: Example) -> None:
    settings = example.settings()
    assert _port_number(settings.server.listen) == PUBLIC_PORT
    assert _port_number(settings.admin.listen) == ADMIN_PORT
    assert example.port("admin") in {None, ADMIN_PORT}
    assert example.port("http") in {None, PUBLIC_PORT}
    env = {var["name"] for var in example.container.get("env", [])}
    assert not env & {"MODA_PROXY__SERVER__LISTEN", "MODA_PROXY__ADMIN__LISTEN"}, (
        "listen addresses live in the ConfigMap, where this test can check them"
    )
    assert "command" not in example.container, "the image's entrypoint runs the proxy"


def test_the_sidecar_serves_its_own_pod_only() -> None:
    sidecar = _example("sidecar").settings()
    assert parse_listen(sidecar.server.listen)[0] in LOOPBACK
    # Its metrics and versions are for its own pod too: nothing else may reach its admin port.
    assert parse_listen(sidecar.admin.listen)[0] in LOOPBACK
    assert _example("sidecar").port("admin") is None
    assert parse_listen(_example("gateway").settings().server.listen)[0] not in LOOPBACK


@pytest.mark.parametrize(
    ("probe", "path"),
    [("livenessProbe", "/-/healthz"), ("readinessProbe", "/-/readyz"), ("startupProbe", None)],
)
def test_probes_reach_the_admin_listener_from_where_they_run(
    example: Example, probe: str, path: str | None
) -> None:
    host, port = parse_listen(example.settings().admin.listen)
    spec = example.container[probe]
    paths = {path} if path else {"/-/healthz", "/-/readyz"}
    if host not in LOOPBACK:
        get = spec["httpGet"]
        assert get["port"] == port or example.port(get["port"]) == port
        assert get["path"] in paths
        return
    # The kubelet connects from the node, which cannot reach a loopback listener: only a command
    # run inside the container can.
    assert "httpGet" not in spec
    command = spec["exec"]["command"]
    assert command[:3] == PROBE_COMMAND
    url = URL(command[3])
    assert (url.host, url.port) == (host, port)
    assert url.path in paths


PROBE_COMMAND = [
    "python",
    "-c",
    "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)",
]


@pytest.mark.process
async def test_the_exec_probe_fails_on_any_answer_but_success(aiohttp_server: Any) -> None:
    async def answer(request: web.Request) -> web.Response:
        return web.Response(status=int(request.match_info["status"]))

    app = web.Application()
    app.router.add_get("/{status}", answer)
    server = await aiohttp_server(app)
    outcomes = {}
    for status in (200, 503):
        # The image's python runs the probe; this one has the same standard library.
        probe = await asyncio.create_subprocess_exec(
            sys.executable,
            *PROBE_COMMAND[1:],
            str(server.make_url(f"/{status}")),
            stderr=asyncio.subprocess.DEVNULL,
        )
        outcomes[status] = await asyncio.wait_for(probe.wait(), timeout=20)
    assert outcomes[200] == 0
    assert outcomes[503] != 0


def test_the_config_map_is_a_valid_production_config(example: Example) -> None:
    data = yaml.safe_load(example.config_text)
    settings = settings_from(data)  # refuses unknown keys, e.g. a `state:` section
    assert settings.upstream.url == "https://api.moda.app"
    assert "sandbox" not in data


def test_the_gateway_has_a_public_url() -> None:
    assert _example("gateway").settings().server.public_url == "https://moda-proxy.example.com"


def test_the_config_is_mounted_where_the_proxy_reads_it(example: Example) -> None:
    config = _flag(example.args, "--config")
    assert config is not None
    directory, _, key = config.rpartition("/")
    assert key in example.config_map["data"]
    mounts = {m["name"]: m["mountPath"] for m in example.container.get("volumeMounts", [])}
    volumes = {v["name"]: v for v in example.pod.get("volumes", [])}
    mounted = [
        volumes[name]["configMap"]["name"]
        for name, path in mounts.items()
        if path.rstrip("/") == directory and "configMap" in volumes[name]
    ]
    assert mounted == [example.config_map["metadata"]["name"]]


def test_the_proxy_runs_as_the_dockerfiles_user_locked_down(example: Example) -> None:
    uid = dockerfile.user_id()
    assert dockerfile.arguments_of("USER") == [str(uid)]
    pod_context = example.pod.get("securityContext", {})
    context = {**pod_context, **example.container["securityContext"]}
    assert context["runAsNonRoot"] is True
    assert context["runAsUser"] == uid
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"]["drop"] == ["ALL"]


def _pre_stop_seconds(container: Manifest) -> float:
    command = container.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command")
    if not command:
        return 0.0
    words = shlex.split(command[-1]) if len(command) == 3 and command[1] == "-c" else command
    assert words[0] == "sleep", f"unexpected preStop {command}"
    return float(words[1])


def test_the_pod_waits_for_the_proxys_graceful_shutdown(example: Example) -> None:
    grace = example.settings().server.shutdown_grace_seconds
    budget = grace + _pre_stop_seconds(example.container)
    assert example.pod["terminationGracePeriodSeconds"] > budget


def _secret_refs(container: Manifest) -> list[str]:
    return [e["secretRef"]["name"] for e in container.get("envFrom", []) if "secretRef" in e]


def _example_secrets(name: str) -> dict[str, Manifest]:
    """The Secrets an example creates by hand (its secret.yaml), by name."""
    secrets = _of_kind(_documents(KUBERNETES / name / "secret.yaml"), "Secret")
    return {secret["metadata"]["name"]: secret for secret in secrets}


def test_secrets_come_from_a_secret_of_the_example(example: Example) -> None:
    (ref,) = _secret_refs(example.container)
    assert ref in _example_secrets(example.name)
    for var in example.container.get("env", []):
        assert var["name"] not in SECRET_ENV or "value" not in var, f"{var['name']} in clear"


def test_resources_are_bounded(example: Example) -> None:
    resources = example.container["resources"]
    assert {"cpu", "memory"} <= resources["requests"].keys()
    assert "memory" in resources["limits"]


# --- the gateway ----------------------------------------------------------------------------


def test_the_gateway_deployment_rolls_without_losing_capacity() -> None:
    gateway = _example("gateway")
    spec = gateway.deployment["spec"]
    assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    pod_labels = spec["template"]["metadata"]["labels"]
    assert spec["selector"]["matchLabels"].items() <= pod_labels.items()
    (pdb,) = _of_kind(gateway.documents, "PodDisruptionBudget")
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    (hpa,) = _of_kind(gateway.documents, "HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"]["name"] == gateway.deployment["metadata"]["name"]
    assert hpa["spec"]["minReplicas"] >= 3


def test_the_gateway_service_routes_to_the_public_port_only() -> None:
    gateway = _example("gateway")
    pod_labels = gateway.deployment["spec"]["template"]["metadata"]["labels"]
    selecting = [
        service
        for service in _of_kind(gateway.documents, "Service")
        if service["spec"]["selector"].items() <= pod_labels.items()
    ]
    assert len(selecting) == 1
    ports = selecting[0]["spec"]["ports"]
    assert [p["targetPort"] for p in ports] in (["http"], [PUBLIC_PORT])


def _loaded(tmp_path: Path, config_text: str, environ: dict[str, str]) -> Settings:
    """The settings a container reads: its mounted config file under its environment."""
    path = tmp_path / "config.yaml"
    path.write_text(config_text)
    return load_settings(path, environ=environ)


def test_the_containers_environment_loads_with_the_config_map(
    example: Example, tmp_path: Path
) -> None:
    env = {var["name"]: var["value"] for var in example.container.get("env", []) if "value" in var}
    settings = _loaded(tmp_path, example.config_text, env)
    grace = example.pod.get("terminationGracePeriodSeconds", 30)
    assert settings.server.drain_seconds + settings.server.shutdown_grace_seconds < grace


def test_the_gateway_secret_holds_what_the_proxy_reads() -> None:
    (name,) = _secret_refs(_example("gateway").container)
    values = _example_secrets("gateway")[name]["stringData"]
    assert values["MODA_PROXY_RELAY_SECRET"]
    assert "MODA_PROXY_WEBHOOK_SECRETS" in values or "MODA_PROXY_WEBHOOK_SECRET" in values
    if "MODA_PROXY_WEBHOOK_SECRETS" in values:
        assert isinstance(json.loads(values["MODA_PROXY_WEBHOOK_SECRETS"]), dict)


# --- across everything ----------------------------------------------------------------------


def test_no_service_exposes_the_admin_port() -> None:
    for service in _of_kind(_all_documents(), "Service"):
        for port in service["spec"]["ports"]:
            assert port.get("targetPort") not in {"admin", ADMIN_PORT}, service["metadata"]
            assert port["port"] != ADMIN_PORT, service["metadata"]


def _secret_values(documents: list[Manifest]) -> set[str]:
    values: set[str] = set()
    for secret in _of_kind(documents, "Secret"):
        values |= {str(v) for v in (secret.get("stringData") or {}).values()}
        for encoded in (secret.get("data") or {}).values():
            values.add(base64.b64decode(encoded).decode("utf-8"))
    return values


def test_no_secret_value_is_in_a_config_map() -> None:
    documents = _all_documents()
    secrets = _secret_values(documents)
    assert secrets, "the check needs the example Secret"
    for config_map in _of_kind(documents, "ConfigMap"):
        for key, text in (config_map.get("data") or {}).items():
            for secret in secrets:
                assert secret not in text, f"a secret value in ConfigMap data {key!r}"
            for name in SECRET_ENV:
                assert name not in text, f"{name} belongs in a Secret, not ConfigMap {key!r}"


def test_the_gateway_shares_state_through_its_redis(tmp_path: Path) -> None:
    gateway = _example("gateway")
    settings = gateway.settings()
    assert settings.state.backend == "redis"
    (redis_service,) = [
        service
        for service in _of_kind(gateway.documents, "Service")
        if service["metadata"]["name"] != "moda-compat-proxy"
        and "redis" in service["metadata"]["name"]
    ]
    (proxy_secret,) = _secret_refs(gateway.container)
    url = URL(
        _example_secrets("gateway")[proxy_secret]["stringData"]["MODA_PROXY__STATE__REDIS_URL"]
    )
    assert url.host == redis_service["metadata"]["name"]
    assert url.port == redis_service["spec"]["ports"][0]["port"]
    assert url.password == _redis_password()
    assert URL(settings.state.redis_url).password is None, "a password belongs in the Secret"
    from_secret = {"MODA_PROXY__STATE__REDIS_URL": str(url)}
    with_secret = _loaded(tmp_path, gateway.config_text, from_secret)
    assert with_secret.state.redis_url == str(url)
    (policy,) = _of_kind(gateway.documents, "NetworkPolicy")
    proxy_labels = gateway.deployment["spec"]["template"]["metadata"]["labels"]
    (allowed,) = policy["spec"]["ingress"]
    assert allowed["from"][0]["podSelector"]["matchLabels"].items() <= proxy_labels.items()


# --- Kubernetes fixes: apply order, replicas, Redis's password, the sidecar's own Secret ------


def _commented_steps(path: Path) -> list[str]:
    """The `#   kubectl …` commands of a file's header, continuation lines joined."""
    steps: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#   "):
            continue
        text = line.removeprefix("#").strip()
        if steps and steps[-1].endswith("\\"):
            steps[-1] = steps[-1][:-1] + text
        else:
            steps.append(text)
    return steps


def test_the_namespace_exists_before_the_secrets_created_in_it() -> None:
    gateway = KUBERNETES / "gateway"
    (kustomization,) = _documents(gateway / "kustomization.yaml")
    namespace = kustomization["namespace"]
    (document,) = _documents(gateway / "namespace.yaml")
    assert (document["kind"], document["metadata"]["name"]) == ("Namespace", namespace)
    steps = [step for step in _commented_steps(gateway / "secret.yaml") if "kubectl" in step]
    assert steps[0] == "kubectl apply -f deploy/kubernetes/gateway/namespace.yaml"
    assert steps[-1] == "kubectl apply -k deploy/kubernetes/gateway"
    creating = steps[1:-1]
    created = {step.split("create secret generic ")[1].split()[0] for step in creating}
    assert created == set(_example_secrets("gateway")), "every Secret is created by a step"
    assert all(step.startswith(f"kubectl -n {namespace} create secret") for step in creating)


def test_no_deployment_sets_replicas_that_its_autoscaler_owns() -> None:
    documents = _all_documents()
    scaled = {
        hpa["spec"]["scaleTargetRef"]["name"]
        for hpa in _of_kind(documents, "HorizontalPodAutoscaler")
    }
    assert scaled, "the check needs the gateway's HPA"
    for deployment in _of_kind(documents, "Deployment"):
        if deployment["metadata"]["name"] in scaled:
            assert "replicas" not in deployment["spec"], "every apply would reset the HPA's count"


def _redis_deployment() -> Manifest:
    (redis,) = [
        deployment
        for deployment in _of_kind(_example("gateway").documents, "Deployment")
        if deployment["metadata"]["labels"]["app.kubernetes.io/component"] == "redis"
    ]
    return redis


def _redis_password() -> str:
    """The password redis.yaml's Redis requires: `requirepass` of the config file it is given."""
    redis = _redis_deployment()
    (container,) = redis["spec"]["template"]["spec"]["containers"]
    config_path = container["args"][1]
    directory, _, key = config_path.rpartition("/")
    (volume_name,) = [m["name"] for m in container["volumeMounts"] if m["mountPath"] == directory]
    (volume,) = [
        v for v in redis["spec"]["template"]["spec"]["volumes"] if v["name"] == volume_name
    ]
    config = _example_secrets("gateway")[volume["secret"]["secretName"]]["stringData"][key]
    (password,) = [
        line.split()[1] for line in config.splitlines() if line.startswith("requirepass ")
    ]
    return cast(str, password)


def test_redis_reads_its_password_from_a_file_not_its_command_line() -> None:
    redis = _redis_deployment()
    (container,) = redis["spec"]["template"]["spec"]["containers"]
    words = [*container.get("command", []), *container["args"]]
    assert container["args"][0] == "redis-server"
    assert not [word for word in words if "requirepass" in word or "$(" in word], words
    assert not [var for var in container.get("env", []) if "valueFrom" in var]
    assert _redis_password()
    # Redis reads a Secret of its own, not the proxy's relay and webhook secrets.
    mounted = {
        v["secret"]["secretName"]
        for v in redis["spec"]["template"]["spec"]["volumes"]
        if "secret" in v
    }
    assert not mounted & set(_secret_refs(_example("gateway").container))


def test_the_sidecar_gets_a_secret_of_its_own_with_only_what_it_reads() -> None:
    sidecar, gateway = _example("sidecar"), _example("gateway")
    (name,) = _secret_refs(sidecar.container)
    assert name not in _secret_refs(gateway.container)
    keys = set(_example_secrets("sidecar")[name]["stringData"])
    assert keys == {sidecar.settings().webhooks.relay_secret_env}
