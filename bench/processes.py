"""Child processes of the benchmarks: start, wait for, stop, read the logs of; all on loopback.

`start_proxy` runs the product (`python -m proxy`) with its shipped defaults apart from a short
shutdown grace; `start_yardstick` runs `bench.yardstick`. Both take an ExitStack that stops them.
"""

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import Final, NamedTuple

from bench.loopback import LOOPBACK

REPO_ROOT: Final = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_SECONDS: Final = 30.0
STOP_TIMEOUT_SECONDS: Final = 5.0
STARTUP_NOTICES: Final = ("MODA_PROXY_RELAY_SECRET is not set", "server.public_url is not set")
PROXY_CONF: Final = """\
server:
  shutdown_grace_seconds: 1
"""


class ProxyProcess(NamedTuple):
    pid: int
    url: str
    log: Path
    admin_url: str


class BenchError(Exception):
    """The benchmark itself could not run; the message says why."""


def progress(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def interrupt(signum: int, frame: FrameType | None) -> None:
    """A SIGTERM handler: unwind like Ctrl-C, so every child is stopped."""
    raise KeyboardInterrupt


def run_bench(body: Callable[[], None], stopped: str = "every process started was stopped") -> int:
    """Runs a benchmark's `body`, SIGTERM unwinding it like Ctrl-C. The exit status: 0, or 1 when
    the benchmark could not run, or 130 when it was interrupted (`stopped` says what stopped)."""
    signal.signal(signal.SIGTERM, interrupt)
    try:
        body()
    except BenchError as exc:
        progress(f"cannot run: {exc}")
        return 1
    except KeyboardInterrupt:
        progress(f"interrupted; {stopped}")
        return 130
    return 0


def require_tool(path: Path, package: str) -> None:
    if not os.access(path, os.X_OK):
        raise BenchError(f"{path} not found; install it with `apt-get install {package}`")


def free_ports(count: int) -> list[int]:
    """Distinct loopback ports nothing listens on (held open together so none repeats)."""
    with contextlib.ExitStack() as stack:
        probes = [stack.enter_context(socket.socket()) for _ in range(count)]
        for probe in probes:
            probe.bind((LOOPBACK, 0))
        return [int(probe.getsockname()[1]) for probe in probes]


def spawn(
    command: list[str], log: Path, cwd: Path, env: dict[str, str] | None = None
) -> "subprocess.Popen[bytes]":
    """Start a child in its own session, so Ctrl-C reaches only us and we stop it in order."""
    with log.open("wb") as sink:
        return subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=env,
            start_new_session=True,
        )


def stop(process: "subprocess.Popen[bytes]") -> None:
    """SIGTERM, then SIGKILL to the child's own process group (e.g. nginx workers) if it lingers."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def log_tail(log: Path, lines: int = 20) -> str:
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty log)"


def log_problems(log: Path) -> list[str]:
    """The warning, error and traceback lines a process wrote to its log, but for the start-up
    notices a proxy without a relay secret or public URL always logs."""
    markers = ('"level":"warning"', '"level":"error"', '"level":"critical"', "Traceback")
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    return [
        line
        for line in lines
        if any(marker in line for marker in markers)
        and not any(notice in line for notice in STARTUP_NOTICES)
    ]


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1.0):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def wait_until_answering(
    url: str,
    process: "subprocess.Popen[bytes]",
    log: Path,
    what: str,
    timeout: float = STARTUP_TIMEOUT_SECONDS,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = process.poll()
        if status is not None:
            raise BenchError(f"{what} exited with status {status} on start:\n{log_tail(log)}")
        if answers(url):
            return
        time.sleep(0.1)
    raise BenchError(f"{what} did not answer {url} within {timeout:.0f} s:\n{log_tail(log)}")


def python_env() -> dict[str, str]:
    """This environment, with the repository importable by a child `python -m ...`."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return env


def start_proxy(
    stack: contextlib.ExitStack,
    workdir: Path,
    upstream_url: str,
    extra_args: Sequence[str] = (),
    config: str = PROXY_CONF,
    launcher: Sequence[str] = (),
    startup_timeout: float = STARTUP_TIMEOUT_SECONDS,
) -> ProxyProcess:
    """Start one proxy process in front of the upstream and wait until it answers; `launcher`
    is a command that runs it (e.g. valgrind's)."""
    home = workdir / "proxy"
    home.mkdir()
    config_path = home / "bench-config.yaml"
    config_path.write_text(config, encoding="utf-8")
    port, admin_port = free_ports(2)
    command = [
        *launcher, sys.executable, "-m", "proxy",
        "--config", str(config_path),
        "--upstream", upstream_url,
        "--listen", f"{LOOPBACK}:{port}",
        "--admin-listen", f"{LOOPBACK}:{admin_port}",
        *extra_args,
    ]  # fmt: skip
    log = home / "proxy.log"
    process = spawn(command, log, home, python_env())
    stack.callback(stop, process)
    admin_url = f"http://{LOOPBACK}:{admin_port}"
    wait_until_answering(admin_url + "/-/healthz", process, log, "the proxy", startup_timeout)
    base_url = f"http://{LOOPBACK}:{port}"
    wait_until_answering(base_url + "/", process, log, "the proxy", startup_timeout)
    return ProxyProcess(process.pid, base_url, log, admin_url)


def start_yardstick(
    stack: contextlib.ExitStack,
    workdir: Path,
    upstream_url: str,
    module: str = "bench.yardstick",
    extra_args: Sequence[str] = (),
    launcher: Sequence[str] = (),
    startup_timeout: float = STARTUP_TIMEOUT_SECONDS,
) -> tuple[int, str, Path]:
    """Start bench.yardstick (or another bench server `module` taking the same flags) in front of
    the upstream; returns its pid, base URL and log."""
    name = " ".join((module, *extra_args))
    home = workdir / name.replace(" ", "_")
    home.mkdir()
    [port] = free_ports(1)
    command = [
        *launcher, sys.executable, "-m", module,
        "--upstream", upstream_url,
        "--listen", f"{LOOPBACK}:{port}",
        *extra_args,
    ]  # fmt: skip
    log = home / "server.log"
    process = spawn(command, log, home, python_env())
    stack.callback(stop, process)
    base_url = f"http://{LOOPBACK}:{port}"
    wait_until_answering(base_url + "/", process, log, name, startup_timeout)
    return process.pid, base_url, log
