"""The program as a user runs it: a real process, real ports, the shipped config."""

import asyncio
import json
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import pytest

import proxy
from tests.fakes.faulty import free_port
from tests.fakes.processes import ROOT, run_proxy, running_proxy, terminate_under_load

# Starts real processes: left out of the fast set (`pytest -m "not process"`).
pytestmark = pytest.mark.process

AUTH = {"Authorization": "Bearer moda_live_cli"}


async def test_a_bad_config_prints_one_line_naming_the_key_and_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("upstream:\n  url: sandbox\n  timeout_secs: 3\n")
    code, _, err = await run_proxy("--config", str(config))
    assert code == 2
    assert err.strip().count("\n") == 0
    assert "upstream.timeout_secs" in err


async def test_check_config_accepts_the_shipped_file() -> None:
    code, out, _ = await run_proxy("--check-config")
    assert (code, out.strip()) == (0, "configuration is valid")


async def test_a_bad_listen_flag_is_a_config_error() -> None:
    code, _, err = await run_proxy("--listen", "nowhere", "--check-config")
    assert code == 2
    assert "server.listen" in err


async def test_the_proxy_serves_legacy_jobs_from_the_sandbox_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    async with running_proxy(tmp_path) as proxy, aiohttp.ClientSession() as session:
        response = await session.post(
            f"{proxy.url}/v1/tasks", json={"prompt": "Hello"}, headers=AUTH
        )
        job = json.loads(await response.read())
        assert (response.status, job["status"], job["task"]) == (202, "queued", "Hello")
        health = await session.get(f"{proxy.admin_url}/-/healthz")
        assert health.status == 200
        proxy.terminate()
        assert await proxy.exit_code() == 0
    access = [json.loads(line) for line in proxy.log if '"proxy.access"' in line]
    assert [(line["route"], line["status"]) for line in access] == [("POST /v1/tasks", 202)]
    assert "moda_live_cli" not in "".join(proxy.log)


async def test_sigterm_answers_held_waits_at_once_with_the_latest_state(tmp_path: Path) -> None:
    config = "sandbox:\n  queued_seconds: 0\n  running_seconds: 600\n"
    async with running_proxy(tmp_path, config) as proxy, aiohttp.ClientSession() as session:
        held = asyncio.ensure_future(
            session.post(
                f"{proxy.url}/v1/tasks",
                json={"prompt": "Hold me"},
                headers={**AUTH, "Prefer": "wait=20"},
            )
        )
        await asyncio.sleep(1.0)
        assert not held.done()
        loop = asyncio.get_running_loop()
        signalled = loop.time()
        proxy.terminate()
        response = await asyncio.wait_for(held, timeout=5)
        job = json.loads(await response.read())
        assert loop.time() - signalled < 3
        assert (response.status, job["status"], job["is_terminal"]) == (202, "running", False)
        assert await proxy.exit_code() == 0


async def test_sigterm_under_load_fails_no_request(tmp_path: Path) -> None:
    async with running_proxy(tmp_path, "server:\n  drain_seconds: 1\n") as proxy:
        async with aiohttp.ClientSession() as session:
            statuses = await terminate_under_load(session, proxy, AUTH)
        assert len(statuses) > 20
        assert set(statuses) == {200}
        assert await proxy.exit_code() == 0


async def test_a_client_trickling_its_first_request_head_is_cut_off(tmp_path: Path) -> None:
    config = "server:\n  header_timeout_seconds: 0.5\n"
    async with running_proxy(tmp_path, config) as proxy, aiohttp.ClientSession() as session:
        port = int(proxy.url.rsplit(":", 1)[1])
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        loop = asyncio.get_running_loop()
        started = loop.time()
        writer.write(b"GET /v1/credits HTTP/1.1\r\nHost: x\r\n")
        await writer.drain()
        assert await asyncio.wait_for(reader.read(), timeout=5) == b""  # closed, nothing sent
        assert 0.4 < loop.time() - started < 3
        writer.close()
        response = await session.get(f"{proxy.url}/v1/credits", headers=AUTH)
        assert response.status == 200


async def test_the_sandbox_runs_alone_for_any_client() -> None:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "proxy",
        "sandbox",
        "--listen",
        f"127.0.0.1:{port}",
        cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stderr is not None
        line = await asyncio.wait_for(process.stderr.readline(), timeout=20)
        assert f"listening on http://127.0.0.1:{port}" in line.decode()
        async with aiohttp.ClientSession() as session:
            response = await session.get(f"http://127.0.0.1:{port}/v1/credits", headers=AUTH)
            assert (response.status, response.headers["Moda-Version"]) == (200, "2026-05-01")
            sunset = await session.get(
                f"http://127.0.0.1:{port}/v1/credits",
                headers={**AUTH, "Moda-Version": "2026-04-12"},
            )
            assert (await sunset.json())["error"]["code"] == "unsupported_version"
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), timeout=15) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_a_version_date_from_the_environment_is_a_valid_configuration() -> None:
    environ = {**os.environ, "MODA_PROXY__VERSIONS__DEFAULT": "2026-04-12"}
    code, out, err = await run_proxy("--check-config", env=environ)
    assert (code, out.strip()) == (0, "configuration is valid"), err


async def test_an_environment_typo_is_one_line_naming_the_variable_and_exits_2() -> None:
    environ = {**os.environ, "MODA_PROXY__SERVR__LISTEN": "0.0.0.0:8080"}
    code, _, err = await run_proxy("--check-config", env=environ)
    assert code == 2
    assert err.strip().count("\n") == 0
    assert "MODA_PROXY__SERVR__LISTEN" in err
    assert "MODA_PROXY__SERVER__LISTEN" in err


async def test_version_prints_the_program_and_its_version() -> None:
    for args in ((), ("sandbox",)):
        code, out, _ = await run_proxy(*args, "--version")
        assert (code, out.strip()) == (0, f"moda-compat-proxy {proxy.__version__}")


async def test_the_sandbox_on_a_busy_port_says_so_in_one_line_and_exits_1() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        code, _, err = await run_proxy("sandbox", "--listen", f"127.0.0.1:{port}")
    assert code == 1
    assert err.strip().count("\n") == 0, err
    assert err.startswith("moda-compat-proxy: cannot listen: ")
    assert str(port) in err


async def test_access_lines_written_just_before_sigterm_reach_the_log(tmp_path: Path) -> None:
    # The access log batches lines in memory: the ones of requests answered right before the
    # signal, and of a held wait answered because of it, must still be written before exit.
    config = "sandbox:\n  queued_seconds: 0\n  running_seconds: 600\n"
    async with running_proxy(tmp_path, config) as proxy, aiohttp.ClientSession() as session:

        async def credits(n: int) -> int:
            headers = {**AUTH, "X-Request-ID": f"quick-{n}"}
            async with session.get(f"{proxy.url}/v1/credits", headers=headers) as response:
                await response.read()
                return response.status

        held = asyncio.ensure_future(
            session.post(
                f"{proxy.url}/v1/tasks",
                json={"prompt": "Hold me"},
                headers={**AUTH, "Prefer": "wait=20", "X-Request-ID": "held"},
            )
        )
        assert await asyncio.gather(*(credits(n) for n in range(20))) == [200] * 20
        proxy.terminate()
        assert (await asyncio.wait_for(held, timeout=5)).status == 202
        assert await proxy.exit_code() == 0
    access = [json.loads(line) for line in proxy.log if '"proxy.access"' in line]
    assert sorted(line["request_id"] for line in access) == sorted(
        ["held", *(f"quick-{n}" for n in range(20))]
    )
