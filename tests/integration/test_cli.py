"""The program as a user runs it: a real process, real ports, the shipped config."""

import asyncio
import json
import signal
import socket
import sys
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _run(*args: str, cwd: Path = ROOT) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "proxy",
        *args,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_a_bad_config_prints_one_line_naming_the_key_and_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("upstream:\n  url: sandbox\n  timeout_secs: 3\n")
    code, _, err = await _run("--config", str(config))
    assert code == 2
    assert err.strip().count("\n") == 0
    assert "upstream.timeout_secs" in err


async def test_check_config_accepts_the_shipped_file() -> None:
    code, out, _ = await _run("--check-config")
    assert (code, out.strip()) == (0, "configuration is valid")


async def test_a_bad_listen_flag_is_a_config_error() -> None:
    code, _, err = await _run("--listen", "nowhere", "--check-config")
    assert code == 2
    assert "server.listen" in err


async def test_the_proxy_serves_legacy_jobs_from_the_sandbox_and_stops_on_sigterm() -> None:
    port, admin = _free_port(), _free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "proxy",
        "--listen",
        f"127.0.0.1:{port}",
        "--admin-listen",
        f"127.0.0.1:{admin}",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stderr is not None
        line = await asyncio.wait_for(process.stderr.readline(), timeout=20)
        assert f"listening on http://127.0.0.1:{port}" in line.decode()
        async with aiohttp.ClientSession() as session:
            response = await session.post(
                f"http://127.0.0.1:{port}/v1/tasks",
                json={"prompt": "Hello"},
                headers={"Authorization": "Bearer moda_live_cli"},
            )
            job = json.loads(await response.read())
            assert (response.status, job["status"], job["task"]) == (202, "queued", "Hello")
            health = await session.get(f"http://127.0.0.1:{admin}/-/healthz")
            assert health.status == 200
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), timeout=15) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_sigterm_answers_held_waits_at_once_with_the_latest_state(tmp_path: Path) -> None:
    port, admin = _free_port(), _free_port()
    config = tmp_path / "config.yaml"
    config.write_text("sandbox:\n  queued_seconds: 0\n  running_seconds: 600\n")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "proxy",
        "--config",
        str(config),
        "--listen",
        f"127.0.0.1:{port}",
        "--admin-listen",
        f"127.0.0.1:{admin}",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stderr is not None
        await asyncio.wait_for(process.stderr.readline(), timeout=20)
        async with aiohttp.ClientSession() as session:
            held = asyncio.ensure_future(
                session.post(
                    f"http://127.0.0.1:{port}/v1/tasks",
                    json={"prompt": "Hold me"},
                    headers={"Authorization": "Bearer moda_live_cli", "Prefer": "wait=20"},
                )
            )
            await asyncio.sleep(1.0)
            assert not held.done()
            loop = asyncio.get_running_loop()
            signalled = loop.time()
            process.send_signal(signal.SIGTERM)
            response = await asyncio.wait_for(held, timeout=5)
            job = json.loads(await response.read())
            assert loop.time() - signalled < 3
            assert (response.status, job["status"], job["is_terminal"]) == (202, "running", False)
        assert await asyncio.wait_for(process.wait(), timeout=15) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
