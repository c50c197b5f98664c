"""A lean HTTP/1.1 client for the one upstream: keep-alive connections parsed by httptools."""

from proxy.server.http1.connection import UpstreamAnswer, UpstreamConnection
from proxy.server.http1.pool import ConnectionPool

__all__ = ["ConnectionPool", "UpstreamAnswer", "UpstreamConnection"]
