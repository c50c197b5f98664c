"""The program as a user runs it: `python -m proxy` in a real process, on loopback ports."""

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from tests.fakes.faulty import free_port

ROOT = Path(__file__).resolve().parents[2]


async def run_proxy(
    *args: str, cwd: Path = ROOT, env: Mapping[str, str] | None = None
) -> tuple[int, str, str]:
    """Runs the program to its end (within 30 s): exit status, standard output and error."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "proxy",
        *args,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@dataclass
class RunningProxy:
    process: asyncio.subprocess.Process
    url: str
    admin_url: str
    log: list[str] = field(default_factory=list)

    def terminate(self) -> None:
        self.process.send_signal(signal.SIGTERM)

    async def exit_code(self) -> int:
        return await asyncio.wait_for(self.process.wait(), timeout=15)


async def _drain(stream: asyncio.StreamReader, into: list[str]) -> None:
    # An undrained pipe would fill up and stall the proxy's logging.
    while line := await stream.readline():
        into.append(line.decode())


def _pipe_holders(process: asyncio.subprocess.Process) -> list[int]:
    """Pids of the processes, other than this one, that hold `process`'s standard error pipe."""
    transport = process._transport  # type: ignore[attr-defined]  # asyncio keeps it private
    pipe = transport.get_pipe_transport(2)
    if pipe is None:
        return []
    target = os.readlink(f"/proc/self/fd/{pipe.get_extra_info('pipe').fileno()}")
    holders = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            if any(os.readlink(fd) == target for fd in (entry / "fd").iterdir()):
                holders.append(int(entry.name))
    return holders


def _describe_process(pid: int) -> str:
    def read(name: str) -> str:
        try:
            return Path(f"/proc/{pid}/{name}").read_text().strip().replace("\0", " ")
        except OSError:
            return "?"

    return f"pid {pid} ({read('cmdline')}): syscall {read('syscall').split(' ')[0]}"


async def _ended(
    process: asyncio.subprocess.Process, drain: "asyncio.Task[None]", log: list[str]
) -> None:
    """Waits for the proxy to exit and for the end of its standard error, which comes once every
    process writing to it (its workers too) exited. Any still holding it after 20 s fails the
    test, named, and is killed: a worker must never outlive its supervisor."""
    ended = asyncio.gather(process.wait(), drain)
    try:
        await asyncio.wait_for(asyncio.shield(ended), timeout=20)
        return
    except TimeoutError:
        holders = _pipe_holders(process)
        described = [_describe_process(pid) for pid in holders]
        for pid in holders:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        await ended
    raise AssertionError(
        "processes outlived the proxy: " + "; ".join(described) + "\n" + "".join(log[-20:])
    )


async def eventually(condition: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    """Polls `condition` until it holds; fails the test if it still does not after `within` s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await condition():
        assert loop.time() < deadline, f"{condition.__name__} did not hold within {within} s"
        await asyncio.sleep(0.05)


@asynccontextmanager
async def running_proxy(
    tmp_path: Path, config: str = "", args: Sequence[str] = ()
) -> AsyncIterator[RunningProxy]:
    """The proxy with `config` as its config file and `args` as extra flags, until it logs
    that it listens; killed on the way out if it still runs."""
    port, admin = free_port(), free_port()
    config_path = tmp_path / "config.yaml"
    config_path.write_text(config)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "proxy",
        "--config",
        str(config_path),
        "--listen",
        f"127.0.0.1:{port}",
        "--admin-listen",
        f"127.0.0.1:{admin}",
        *args,
        cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    running = RunningProxy(process, f"http://127.0.0.1:{port}", f"http://127.0.0.1:{admin}")
    assert process.stderr is not None
    drain = asyncio.ensure_future(_drain(process.stderr, running.log))
    try:

        async def listening() -> bool:
            return any("listening on" in line for line in running.log)

        await eventually(listening, within=20)
        assert any(f"listening on {running.url}" in line for line in running.log), running.log
        yield running
    finally:
        if process.returncode is None:
            process.kill()
        await _ended(process, drain, running.log)


async def terminate_under_load(
    session: aiohttp.ClientSession, proxy: RunningProxy, headers: Mapping[str, str]
) -> list[int]:
    """SIGTERMs the proxy while 8 clients keep requesting, as behind a load balancer that sends
    until readiness says the proxy drains; returns the status of every request made."""
    statuses: list[int] = []
    stop = asyncio.Event()

    async def client() -> None:
        while not stop.is_set():
            async with session.get(f"{proxy.url}/v1/tasks?limit=5", headers=headers) as response:
                await response.read()
                statuses.append(response.status)

    clients = [asyncio.ensure_future(client()) for _ in range(8)]
    await asyncio.sleep(1.0)  # load builds up; not an assertion
    proxy.terminate()

    async def draining() -> bool:
        async with session.get(f"{proxy.admin_url}/-/readyz") as ready:
            return ready.status == 503

    await eventually(draining)
    stop.set()
    await asyncio.gather(*clients)
    return statuses
