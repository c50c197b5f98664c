"""The cheapest translating proxy Python can run: no framework on either side.

    .venv/bin/python -m bench.bare_server --upstream http://127.0.0.1:PORT --listen 127.0.0.1:PORT

An asyncio protocol parses requests with httptools (llhttp), sends each as a GET through the
product's upstream pool (proxy.server.http1), flattens a 2026-04-12 client's Task as the
yardstick does, and writes the answer's head and body in one write. It serves GET only, ignores
request bodies, does not order pipelined answers, and has no timeouts, logs or metrics: it is
the floor bench.layers measures the frameworks against, not a server to run.
"""

import argparse
import asyncio

import httptools
import orjson
import uvloop

from bench.yardstick import LEGACY, flatten, upstream_head, upstream_pool
from proxy.server.http1 import ConnectionPool

_LEGACY_FIELDS = "".join(f"{name}: {value}\r\n" for name, value in LEGACY.items()).encode()


class BareProxy(asyncio.Protocol):
    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._target = b""
        self._headers: dict[bytes, bytes] = {}
        self._answering: set[asyncio.Task[None]] = set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]  # a stream socket's

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError:
            if self._transport is not None:
                self._transport.close()

    def on_message_begin(self) -> None:
        self._target, self._headers = b"", {}

    def on_url(self, url: bytes) -> None:
        self._target += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers[name.lower()] = value

    def on_message_complete(self) -> None:
        keep_alive = self._parser.should_keep_alive()
        task = asyncio.ensure_future(self._answer(self._target, self._headers, keep_alive))
        self._answering.add(task)
        task.add_done_callback(self._answering.discard)

    async def _answer(self, target: bytes, headers: dict[bytes, bytes], keep_alive: bool) -> None:
        authorization = headers.get(b"authorization", b"").decode("latin-1")
        head = upstream_head(target.decode("latin-1"), authorization)
        upstream, body = await self._pool.fetch(
            "GET", head, b"", timeout_seconds=30.0, limit=1 << 20
        )
        assert body is not None  # the bench's Task is a few hundred bytes
        legacy = headers.get(b"moda-version") == b"2026-04-12"
        if legacy and upstream.status == 200:
            body = orjson.dumps(flatten(orjson.loads(body)))
        request_id = upstream.headers.get("X-Request-ID", "").encode("latin-1")
        version = _LEGACY_FIELDS if legacy else b"Moda-Version: 2026-05-01\r\n"
        answer = b"HTTP/1.1 %d %b\r\nContent-Type: application/json\r\nContent-Length: %d\r\n" % (
            upstream.status,
            upstream.reason.encode("latin-1"),
            len(body),
        )
        if self._transport is None or self._transport.is_closing():
            return
        tail = b"X-Request-ID: %b\r\n\r\n%b" % (request_id, body)
        self._transport.write(answer + version + tail)
        if not keep_alive:
            self._transport.close()


async def serve(upstream: str, host: str, port: int) -> None:
    pool = upstream_pool(upstream)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: BareProxy(pool), host, port)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--listen", default="127.0.0.1:8091")
    args = parser.parse_args()
    host, _, port = args.listen.rpartition(":")
    uvloop.run(serve(args.upstream.rstrip("/"), host, int(port)))


if __name__ == "__main__":
    main()
