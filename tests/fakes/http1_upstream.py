"""A loopback HTTP/1.1 upstream scripted byte for byte, counting the connections it is given.

Each request head is handed to the script as an `Exchange`; the script writes whatever answer the
test needs (well formed or not) and says whether the connection carries on. The server reads a
request body only when asked (`Exchange.read_body`), or after the script, to find the next request.
"""

import asyncio
import contextlib
import itertools
import socket
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from multidict import CIMultiDict


@dataclass
class Exchange:
    connection: int  # which accepted connection carried it, counted from 1
    number: int  # its place among that connection's requests, counted from 1
    method: str
    target: str
    headers: CIMultiDict[str]
    reader: asyncio.StreamReader = field(repr=False)
    writer: asyncio.StreamWriter = field(repr=False)
    wire_body: bytes = b""  # the body as framed on the wire (chunk sizes included)
    body: bytes = b""
    _body_read: bool = field(default=False, repr=False)

    async def read_body(self) -> bytes:
        if not self._body_read:
            self._body_read = True
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                await self._read_chunks()
            elif "Content-Length" in self.headers:
                self.body = self.wire_body = await self.reader.readexactly(
                    int(self.headers["Content-Length"])
                )
        return self.body

    async def _read_chunks(self) -> None:
        wire, body = bytearray(), bytearray()
        while True:
            size_line = await self.reader.readuntil(b"\r\n")
            wire += size_line
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                break
            data = await self.reader.readexactly(size + 2)
            wire += data
            body += data[:-2]
        while (trailer := await self.reader.readuntil(b"\r\n")) != b"\r\n":
            wire += trailer
        wire += b"\r\n"
        self.wire_body, self.body = bytes(wire), bytes(body)

    def send(self, data: bytes | memoryview) -> None:
        self.writer.write(data)

    def reset(self) -> None:
        """Closes with an RST, as a crashing upstream would."""
        sock = self.writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        self.writer.close()


Script = Callable[[Exchange], Awaitable[bool]]


def response(
    status: int = 200,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    *,
    reason: str = "OK",
    version: str = "HTTP/1.1",
) -> bytes:
    """A whole answer with its Content-Length."""
    lines = [f"{version} {status} {reason}", f"Content-Length: {len(body)}"]
    lines.extend(f"{name}: {value}" for name, value in (headers or {}).items())
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _parse_head(head: bytes) -> tuple[str, str, CIMultiDict[str]]:
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    method, target, _ = request_line.split(" ")
    headers: CIMultiDict[str] = CIMultiDict()
    for line in header_lines:
        if line:
            name, value = line.split(":", 1)
            headers.add(name, value.strip())
    return method, target, headers


class Http1Upstream:
    def __init__(
        self, script: Script, *, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None
    ) -> None:
        self._script, self._host, self._tls = script, host, tls
        self._server: asyncio.Server | None = None
        self.exchanges: list[Exchange] = []
        self.accepted = 0
        self.open_now = 0
        self.most_open = 0
        # Connections whose far end (the proxy) hung up while they waited for a request.
        self.hung_up: list[int] = []
        self._writers: set[asyncio.StreamWriter] = set()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        connection = self.accepted
        self.open_now += 1
        self.most_open = max(self.most_open, self.open_now)
        self._writers.add(writer)
        try:
            with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
                await self._converse(connection, reader, writer)
        finally:
            self.open_now -= 1
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(ConnectionError, ssl.SSLError):
                await writer.wait_closed()

    async def _converse(
        self, connection: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        number = 0
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                self.hung_up.append(connection)
                return
            number += 1
            method, target, headers = _parse_head(head[:-4])
            exchange = Exchange(connection, number, method, target, headers, reader, writer)
            self.exchanges.append(exchange)
            if not await self._script(exchange) or writer.is_closing():
                return
            await exchange.read_body()

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._serve, self._host, 0, ssl=self._tls)
        port = self._server.sockets[0].getsockname()[1]
        scheme = "https" if self._tls is not None else "http"
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"{scheme}://{host}:{port}"

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for writer in self._writers:
                writer.close()
            await self._server.wait_closed()


def answering(*answers: bytes, keep: bool = True) -> Script:
    """Answers the n-th request with the n-th answer (the last one again after that), once the
    request's body is read."""
    served = itertools.count()

    async def script(exchange: Exchange) -> bool:
        await exchange.read_body()
        exchange.send(answers[min(next(served), len(answers) - 1)])
        return keep

    return script
