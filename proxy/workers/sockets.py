"""The public port of a supervised proxy: bound by the supervisor, handed to workers as sockets.

The supervisor binds, rather than each worker binding for itself, for three reasons: a port in use
fails at once, in one process, with the single-process message and before any worker starts;
`:0` resolves to one port that every worker then shares; and a worker needs no say in where it
listens.

On Linux each worker gets a socket of its own, every one bound to the same address with
SO_REUSEPORT, so the kernel spreads new connections evenly across the workers. (With one shared
socket, whichever worker wakes first accepts a whole burst of connections, and keep-alive clients
stay on it.) The supervisor closes its copy once the worker has it, so a socket lives exactly as
long as its worker: when a worker dies the kernel stops routing connections to it, and its
replacement gets a fresh socket. Elsewhere SO_REUSEPORT does not balance, so all workers share
one socket, held by the supervisor.

SO_REUSEPORT would let a second proxy started on the same port silently share it. So before
anything the port is probed with an ordinary bind, which fails on any listener, including
another proxy's SO_REUSEPORT group.
"""

import socket
import sys
from typing import Any, Final

_BALANCES_REUSE_PORT: Final = sys.platform == "linux"

Address = tuple[int, Any]  # (family, sockaddr) as getaddrinfo gives them


def _bind(family: int, sockaddr: Any, *, reuse_port: bool) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        # As asyncio does for its listeners: rebinding over TIME_WAIT connections is fine.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(sockaddr)
    except OSError as exc:
        sock.close()
        raise OSError(
            exc.errno, f"error while attempting to bind on address {sockaddr!r}: {exc.strerror}"
        ) from exc
    return sock


def _addresses(host: str, port: int) -> list[Address]:
    found: list[Address] = []
    for family, _, _, _, sockaddr in socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    ):
        if (family, sockaddr) not in found:
            found.append((family, sockaddr))
    return found


def _with_port(sockaddr: Any, port: int) -> Any:
    return (sockaddr[0], port, *sockaddr[2:])


class PublicPort:
    """Every address `host` resolves to, on one port; `for_worker()` gives a worker its sockets."""

    def __init__(self, addresses: list[Address], shared: list[socket.socket]) -> None:
        self._addresses, self._shared = addresses, shared

    @classmethod
    def bind(cls, host: str, port: int) -> "PublicPort":
        """Proves the port free (resolving `:0` to one port), or raises OSError."""
        addresses = _addresses(host, port)
        probes: list[socket.socket] = []
        try:
            for family, sockaddr in addresses:
                probe = _bind(family, _with_port(sockaddr, port), reuse_port=False)
                probes.append(probe)
                port = port or probe.getsockname()[1]
            resolved = [(family, _with_port(sockaddr, port)) for family, sockaddr in addresses]
        finally:
            for probe in probes:
                probe.close()
        shared = [] if _BALANCES_REUSE_PORT else cls._bound(resolved, reuse_port=False)
        return cls(resolved, shared)

    @staticmethod
    def _bound(addresses: list[Address], *, reuse_port: bool) -> list[socket.socket]:
        sockets: list[socket.socket] = []
        try:
            for family, sockaddr in addresses:
                sockets.append(_bind(family, sockaddr, reuse_port=reuse_port))
        except OSError:
            for sock in sockets:
                sock.close()
            raise
        return sockets

    @property
    def listen(self) -> str:
        """HOST:PORT of the first address, with the port resolved."""
        family, sockaddr = self._addresses[0]
        host, port = sockaddr[:2]
        return f"[{host}]:{port}" if family == socket.AF_INET6 else f"{host}:{port}"

    def for_worker(self) -> list[socket.socket]:
        """Sockets for one worker; `release()` them once the worker has its copies."""
        return self._shared or self._bound(self._addresses, reuse_port=True)

    def release(self, sockets: list[socket.socket]) -> None:
        if sockets is not self._shared:
            for sock in sockets:
                sock.close()

    def close(self) -> None:
        for sock in self._shared:
            sock.close()
