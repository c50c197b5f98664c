"""`--workers`: a supervisor and real worker processes on loopback, as a user runs them."""

import asyncio
import json
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families
from pytest_aiohttp import AiohttpServer

from proxy.core.signing import verify
from tests.fakes.faulty import free_port, free_port_url
from tests.fakes.processes import (
    ROOT,
    RunningProxy,
    eventually,
    run_proxy,
    running_proxy,
    terminate_under_load,
)

# Starts real processes: left out of the fast set (`pytest -m "not process"`).
pytestmark = pytest.mark.process

TWO_WORKERS = ("--workers", "2")
AUTH = {"Authorization": "Bearer moda_live_workers"}
LEGACY = {**AUTH, "Moda-Version": "2026-04-12"}
CANONICAL = {**AUTH, "Moda-Version": "2026-05-01"}
ROOMY_SANDBOX = "sandbox:\n  max_active_tasks: 100\n"


def fresh_connections() -> aiohttp.ClientSession:
    """A session opening a new connection per request, so the kernel picks a worker each time."""
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True))


async def get_json(session: aiohttp.ClientSession, url: str) -> tuple[int, Any]:
    async with session.get(url) as response:
        return response.status, json.loads(await response.read())


async def health(session: aiohttp.ClientSession, proxy: RunningProxy) -> dict[str, Any]:
    status, body = await get_json(session, f"{proxy.admin_url}/-/healthz")
    assert status == 200
    return dict(body)


async def samples_by_worker(
    session: aiohttp.ClientSession, proxy: RunningProxy, sample: str, **labels: str
) -> dict[str, float]:
    """Per worker, the sum of the samples named `sample` carrying `labels`."""
    async with session.get(f"{proxy.admin_url}/-/metrics") as response:
        assert response.status == 200
        text = await response.text()
    totals: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == sample and labels.items() <= found.labels.items():
                worker = found.labels.get("worker", "")
                totals[worker] = totals.get(worker, 0.0) + found.value
    return totals


def alive(pid: int) -> bool:
    """Whether the process runs; a zombie nobody reaped yet counts as gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat[stat.rindex(")") + 2] not in "ZX"


async def test_two_workers_serve_legacy_and_canonical_clients_from_one_shared_sandbox(
    tmp_path: Path,
) -> None:
    async with (
        running_proxy(tmp_path, ROOMY_SANDBOX, TWO_WORKERS) as proxy,
        fresh_connections() as session,
    ):
        job_ids = []
        for number in range(10):
            async with session.post(
                f"{proxy.url}/v1/tasks", json={"prompt": f"Deck {number}"}, headers=LEGACY
            ) as response:
                job = await response.json()
                assert (response.status, job["task"]) == (202, f"Deck {number}")
                job_ids.append(job["job_id"])
        # Whichever worker created a task, either finds it: they share one sandbox.
        for job_id in job_ids:
            async with session.get(f"{proxy.url}/v1/tasks/{job_id}", headers=LEGACY) as legacy:
                job = await legacy.json()
                assert (legacy.status, job["job_id"], job["is_terminal"]) == (200, job_id, False)
            async with session.get(f"{proxy.url}/v1/tasks/{job_id}", headers=CANONICAL) as canon:
                task = await canon.json()
                assert (canon.status, task["id"], "job_id" in task) == (200, job_id, False)
        # Reads of both versions carry their route's label.
        served = await samples_by_worker(
            session, proxy, "proxy_requests_total", route="GET /v1/tasks/{id}"
        )
        assert set(served) == {"0", "1"}
        assert sum(served.values()) == 2 * len(job_ids)
    warnings = [line for line in proxy.log if '"warning"' in line]
    assert len(warnings) == 1, warnings
    assert "each of the 2 workers keeps its own pagination checkpoints" in warnings[0]
    # Every line a worker writes, access lines included, says which worker it is.
    lines = [json.loads(line) for line in proxy.log if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "proxy.access"]
    assert {line["worker"] for line in access} == {0, 1}
    assert "worker" not in json.loads(warnings[0])  # the supervisor's own lines
    assert "state.backend: redis shares them" in warnings[0]


async def test_the_merged_metrics_label_each_workers_samples_and_add_the_supervisors(
    tmp_path: Path,
) -> None:
    async with running_proxy(tmp_path, args=TWO_WORKERS) as proxy, fresh_connections() as session:
        for _ in range(20):
            async with session.get(f"{proxy.url}/v1/credits", headers=LEGACY) as response:
                assert response.status == 200
        async with session.get(f"{proxy.admin_url}/-/metrics") as response:
            text = await response.text()
    families = {family.name: family for family in text_string_to_metric_families(text)}
    requests = families["proxy_requests"].samples
    assert {sample.labels["worker"] for sample in requests} == {"0", "1"}
    assert sum(sample.value for sample in requests if sample.name == "proxy_requests_total") == 20
    assert text.count("# TYPE proxy_requests_total counter") == 1
    from_workers = [name for name in families if not name.startswith("proxy_worker")]
    assert all(
        "worker" in sample.labels for name in from_workers for sample in families[name].samples
    )
    assert [sample.value for sample in families["proxy_workers"].samples] == [2.0]
    assert {(s.labels["worker"], s.value) for s in families["proxy_worker_up"].samples} == {
        ("0", 1.0),
        ("1", 1.0),
    }
    assert [s.value for s in families["proxy_worker_restarts"].samples] == [0.0, 0.0]


async def test_readiness_passes_each_workers_own_answer_through_and_versions_match(
    tmp_path: Path,
) -> None:
    async with running_proxy(tmp_path, args=TWO_WORKERS) as proxy, fresh_connections() as session:
        described = await health(session, proxy)
        workers = described["workers"]
        assert [(w["worker"], w["state"], w["restarts"]) for w in workers] == [
            (0, "serving", 0),
            (1, "serving", 0),
        ]
        pids = {w["pid"] for w in workers}
        assert len(pids) == 2
        assert proxy.process.pid not in pids
        assert described["pid"] == proxy.process.pid
        status, ready = await get_json(session, f"{proxy.admin_url}/-/readyz")
        assert (status, ready["status"]) == (200, "ready")
        for worker, entry in zip(workers, ready["workers"], strict=True):
            _, own = await get_json(session, f"{worker['admin_url']}/-/readyz")
            assert (entry["pid"], entry["ready"], entry["detail"]) == (worker["pid"], True, own)
        _, versions = await get_json(session, f"{proxy.admin_url}/-/versions")
        _, own_versions = await get_json(session, f"{workers[1]['admin_url']}/-/versions")
        assert versions == own_versions
        assert "2026-04-12" in versions["supported"]


async def test_readiness_fails_while_the_workers_cannot_reach_the_upstream(tmp_path: Path) -> None:
    args = (*TWO_WORKERS, "--upstream", free_port_url())
    async with running_proxy(tmp_path, args=args) as proxy, fresh_connections() as session:
        status, ready = await get_json(session, f"{proxy.admin_url}/-/readyz")
    assert (status, ready["status"]) == (503, "not ready")
    assert [(w["ready"], w["status"]) for w in ready["workers"]] == [(False, 503), (False, 503)]
    assert {w["detail"]["status"] for w in ready["workers"]} == {"upstream unreachable"}
    # One key and one public URL for all workers: each warning comes once, from the supervisor.
    for warning in ("MODA_PROXY_RELAY_SECRET is not set", "server.public_url is not set"):
        assert len([line for line in proxy.log if warning in line]) == 1, warning


async def test_a_killed_worker_is_replaced_while_the_other_keeps_serving(tmp_path: Path) -> None:
    async with running_proxy(tmp_path, args=TWO_WORKERS) as proxy, fresh_connections() as session:
        victim = (await health(session, proxy))["workers"][0]["pid"]
        os.kill(victim, signal.SIGKILL)

        async def victim_gone() -> bool:
            worker = (await health(session, proxy))["workers"][0]
            return bool(worker["pid"] != victim or worker["state"] != "serving")

        await eventually(victim_gone)
        for _ in range(10):
            async with session.get(f"{proxy.url}/v1/credits", headers=LEGACY) as response:
                assert response.status == 200

        async def replaced() -> bool:
            worker = (await health(session, proxy))["workers"][0]
            return bool(worker["state"] == "serving" and worker["pid"] not in {None, victim})

        await eventually(replaced)
        for _ in range(20):
            async with session.get(f"{proxy.url}/v1/credits", headers=LEGACY) as response:
                assert response.status == 200
        served = await samples_by_worker(session, proxy, "proxy_requests_total")
        assert served["0"] > 0  # the replacement takes its share of new connections
        restarts = await samples_by_worker(session, proxy, "proxy_worker_restarts_total")
        assert restarts == {"0": 1.0, "1": 0.0}
        assert (await health(session, proxy))["restarts"] == 1
    exits = [line for line in proxy.log if f"worker 0 (pid {victim}) exited" in line]
    assert len(exits) == 1
    assert '"warning"' in exits[0]
    assert "status -9" in exits[0]


async def test_sigterm_under_load_drains_the_workers_and_fails_no_request(tmp_path: Path) -> None:
    config = "server:\n  drain_seconds: 1\n"
    async with running_proxy(tmp_path, config, TWO_WORKERS) as proxy:
        async with aiohttp.ClientSession() as session:
            pids = [worker["pid"] for worker in (await health(session, proxy))["workers"]]
            statuses = await terminate_under_load(session, proxy, AUTH)
        assert len(statuses) > 20
        assert set(statuses) == {200}
        assert await proxy.exit_code() == 0
    assert not [pid for pid in pids if alive(pid)]


async def test_workers_do_not_outlive_a_killed_supervisor(tmp_path: Path) -> None:
    async with running_proxy(tmp_path, args=TWO_WORKERS) as proxy, fresh_connections() as session:
        pids = [worker["pid"] for worker in (await health(session, proxy))["workers"]]
        proxy.process.kill()
        await proxy.process.wait()

        async def workers_gone() -> bool:
            return not any(alive(pid) for pid in pids)

        await eventually(workers_gone)


@pytest.mark.parametrize("taken_flag", ["--listen", "--admin-listen"])
async def test_a_port_in_use_stops_the_supervisor_with_exit_1(taken_flag: str) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        addresses = {flag: f"127.0.0.1:{free_port()}" for flag in ("--listen", "--admin-listen")}
        addresses[taken_flag] = f"127.0.0.1:{holder.getsockname()[1]}"
        flags = [part for flag_and_address in addresses.items() for part in flag_and_address]
        code, _, err = await run_proxy(*TWO_WORKERS, *flags)
    assert code == 1
    assert "moda-compat-proxy: cannot listen:" in err
    assert "listening on" not in err


async def test_a_second_supervisor_cannot_share_the_port_of_a_running_one(tmp_path: Path) -> None:
    async with running_proxy(tmp_path, args=TWO_WORKERS) as proxy:
        code, _, err = await run_proxy(
            *TWO_WORKERS,
            "--listen",
            proxy.url.removeprefix("http://"),
            "--admin-listen",
            f"127.0.0.1:{free_port()}",
        )
    assert code == 1
    assert "moda-compat-proxy: cannot listen:" in err


def _decoy_package(directory: Path) -> Path:
    """A directory holding some other package named `proxy`, which fails on import."""
    package = directory / "proxy"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(
        'raise SystemExit("the decoy proxy package was imported")\n'
    )
    return directory


async def _run_supervisor(*args: str, cwd: Path, pythonpath: Path | None = None) -> tuple[int, str]:
    """The supervisor, importing this repository's proxy whatever the working directory holds,
    stopped by SIGTERM once it listens: its exit status and standard error."""
    bootstrap = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r}); "
        "from proxy.__main__ import main; sys.exit(main(sys.argv[1:]))"
    )
    env = {**os.environ, "PYTHONPATH": str(pythonpath)} if pythonpath else None
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        bootstrap,
        *args,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    err = b""
    try:
        async with asyncio.timeout(20):
            while b"listening on" not in err and (line := await process.stderr.readline()):
                err += line
        if process.returncode is None and b"listening on" in err:
            process.send_signal(signal.SIGTERM)
        err += await process.stderr.read()
        code = await asyncio.wait_for(process.wait(), timeout=15)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return code, err.decode()


async def test_a_worker_that_fails_to_start_stops_the_supervisor_with_exit_1(
    tmp_path: Path,
) -> None:
    listen = ("--listen", f"127.0.0.1:{free_port()}", "--admin-listen", f"127.0.0.1:{free_port()}")
    code, err = await _run_supervisor(
        *TWO_WORKERS, *listen, cwd=tmp_path, pythonpath=_decoy_package(tmp_path / "elsewhere")
    )
    assert code == 1
    assert "the decoy proxy package was imported" in err
    assert "moda-compat-proxy: cannot start: worker" in err
    assert "exited with status 1 while starting" in err


async def test_workers_ignore_another_proxy_package_in_the_working_directory(
    tmp_path: Path,
) -> None:
    listen = ("--listen", f"127.0.0.1:{free_port()}", "--admin-listen", f"127.0.0.1:{free_port()}")
    code, err = await _run_supervisor(*TWO_WORKERS, *listen, cwd=_decoy_package(tmp_path))
    assert "with 2 workers" in err
    assert "decoy" not in err
    assert code == 0


async def test_auto_starts_one_worker_per_usable_core(tmp_path: Path) -> None:
    cores = len(os.sched_getaffinity(0))
    async with (
        running_proxy(tmp_path, args=("--workers", "auto")) as proxy,
        fresh_connections() as session,
    ):
        workers = (await health(session, proxy)).get("workers")
    # On a single core `auto` means one process, serving as it does without --workers.
    assert (len(workers) if workers else 1) == cores


@pytest.mark.parametrize("value", ["0", "65", "many"])
async def test_a_bad_worker_count_is_a_config_error(value: str) -> None:
    code, _, err = await run_proxy("--workers", value, "--check-config")
    assert code == 2
    assert "server.workers" in err


async def test_a_relay_url_sealed_by_one_worker_is_opened_by_any(
    tmp_path: Path, aiohttp_server: AiohttpServer
) -> None:
    events: list[dict[str, Any]] = []

    async def receive(request: web.Request) -> web.Response:
        body = await request.read()
        timestamp = int(request.headers["X-Webhook-Timestamp"])
        assert verify("whsec_sandbox", timestamp, body, request.headers["X-Webhook-Signature"])
        events.append(json.loads(body))
        return web.Response(text="ok")

    receiver_app = web.Application()
    receiver_app.router.add_post("/hooks", receive)
    receiver = await aiohttp_server(receiver_app)
    # No retries: a delivery refused by a worker that cannot open the relay URL stays lost.
    config = (
        "sandbox:\n  queued_seconds: 0\n  running_seconds: 0.2\n  allow_http_callbacks: true\n"
        "  webhook_retry_delays: []\n  max_active_tasks: 100\n"
        "webhooks:\n  allow_http_callbacks: true\n  allow_private_callback_hosts: true\n"
    )
    async with (
        running_proxy(tmp_path, config, TWO_WORKERS) as proxy,
        fresh_connections() as session,
    ):
        job_ids = set()
        for number in range(10):
            body = {"prompt": f"Hook {number}", "callback_url": str(receiver.make_url("/hooks"))}
            async with session.post(f"{proxy.url}/v1/tasks", json=body, headers=LEGACY) as sent:
                assert sent.status == 202, await sent.text()
                job_ids.add((await sent.json())["job_id"])

        async def all_delivered() -> bool:
            return len(events) >= len(job_ids)

        await eventually(all_delivered)
        relayed = await samples_by_worker(session, proxy, "proxy_webhook_relays_total")
        created = await samples_by_worker(
            session, proxy, "proxy_requests_total", route="POST /v1/tasks"
        )
    assert {event["data"]["job_id"] for event in events} == job_ids
    assert {event["type"] for event in events} == {"job.completed"}
    assert sum(relayed.values()) == len(job_ids)
    assert set(created) == {"0", "1"}  # both workers sealed relay URLs
