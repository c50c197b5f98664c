"""A throwaway `redis-server` on a free loopback port for benchmarks (needs redis-server)."""

import asyncio
import contextlib
import shutil
import tempfile
from collections.abc import AsyncIterator

from bench.loopback import LOOPBACK, free_port


@contextlib.asynccontextmanager
async def running_redis() -> AsyncIterator[str]:
    """Yields the server's URL; the server is killed on exit."""
    executable = shutil.which("redis-server")
    if executable is None:
        raise SystemExit("redis-server is not installed: apt-get install redis-server")
    port = free_port()
    with tempfile.TemporaryDirectory() as workdir:
        process = await asyncio.create_subprocess_exec(
            executable,
            *("--port", str(port), "--bind", LOOPBACK, "--save", "", "--dir", workdir),
            stdout=asyncio.subprocess.DEVNULL,
        )
        try:
            for _ in range(200):
                with contextlib.suppress(OSError):
                    _, writer = await asyncio.open_connection(LOOPBACK, port)
                    writer.close()
                    break
                await asyncio.sleep(0.02)
            yield f"redis://{LOOPBACK}:{port}/0"
        finally:
            process.kill()
            await process.wait()
