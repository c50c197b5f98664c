"""HTTP/1.1 on httptools, both ways: a lean keep-alive client for the one upstream (`connection`,
`pool`) and the public listener's server (`server`, `answers`)."""

from proxy.server.http1.connection import UpstreamAnswer, UpstreamConnection
from proxy.server.http1.pool import ConnectionPool

__all__ = ["ConnectionPool", "UpstreamAnswer", "UpstreamConnection"]
