"""Upstreams that misbehave on purpose, speaking raw TCP where HTTP itself must break."""

import asyncio
import contextlib
import socket
from collections.abc import Awaitable, Callable

Behaviour = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _read_request_head(reader: asyncio.StreamReader) -> None:
    await reader.readuntil(b"\r\n\r\n")


def cut_short(declared: int, sent: bytes) -> Behaviour:
    """Promises `declared` bytes of JSON, sends `sent`, then closes."""

    async def behave(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request_head(reader)
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {declared}\r\n\r\n".encode()
            + sent
        )
        await writer.drain()
        writer.close()

    return behave


async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request_head(reader)
    writer.write(b"this is not HTTP at all\r\n\r\n")
    await writer.drain()
    writer.close()


async def reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request_head(reader)
    sock = writer.get_extra_info("socket")
    # SO_LINGER 0 turns close() into an RST, as a crashing upstream would send.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    writer.close()


def hang(release: asyncio.Event) -> Behaviour:
    async def behave(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request_head(reader)
        await release.wait()
        writer.close()

    return behave


class RawUpstream:
    """A loopback TCP server answering every connection with one behaviour."""

    def __init__(self, behaviour: Behaviour) -> None:
        self._behaviour = behaviour
        self._server: asyncio.Server | None = None
        self.connections = 0

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            # The proxy may hang up first (a timeout, a refused body): that is the point.
            with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
                await self._behaviour(reader, writer)
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def free_port_url() -> str:
    """The URL of a loopback port nothing listens on, for connection-refused tests."""
    return f"http://127.0.0.1:{free_port()}"


def drip(head: bytes, chunk: bytes, every: float, times: int) -> Behaviour:
    """Sends the head at once, then one small chunk every `every` seconds."""

    async def behave(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request_head(reader)
        writer.write(head)
        for _ in range(times):
            await asyncio.sleep(every)
            writer.write(chunk)
            await writer.drain()
        writer.close()

    return behave


def cut_short_after(head: bytes, sent: bytes) -> Behaviour:
    """Sends a head promising more than `sent`, then `sent`, then closes."""

    async def behave(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request_head(reader)
        writer.write(head + sent)
        await writer.drain()

    return behave
