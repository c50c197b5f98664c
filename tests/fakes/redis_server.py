"""A real `redis-server` on a free loopback port, which a test can kill and start again."""

import asyncio
import shutil
import socket
import time
from pathlib import Path

from tests.fakes.faulty import free_port

_START_SECONDS = 10.0


class RedisServer:
    def __init__(self, workdir: Path) -> None:
        executable = shutil.which("redis-server")
        if executable is None:
            raise RuntimeError(
                "redis-server is not installed: `apt-get install redis-server` (.ci/run does it)"
            )
        self._executable, self._workdir = executable, workdir
        self.port = free_port()
        self._process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    async def start(self) -> None:
        """Starts it on the same port every time, as a restarted server would come back."""
        self._process = await asyncio.create_subprocess_exec(
            self._executable,
            *("--port", str(self.port), "--bind", "127.0.0.1"),
            *("--save", "", "--appendonly", "no", "--dir", str(self._workdir)),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        deadline = time.monotonic() + _START_SECONDS
        while not self._answers():
            if self._process.returncode is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            await asyncio.sleep(0.02)

    async def kill(self) -> None:
        """Dies at once, as a crashed server does: no goodbye to its clients."""
        if self._process is not None and self._process.returncode is None:
            self._process.kill()
            await asyncio.wait_for(self._process.wait(), timeout=5)
        self._process = None
