"""Request ids the proxy makes up: unique and unguessable enough to trace by, at almost no cost.

`uuid.uuid4()` makes one `os.urandom` system call per id. Here one call fills a pool for many
ids, each 128 random bits in hex. They name requests in logs and headers; they grant nothing, so
they need not be secret, only distinct and hard to predict from one another.
"""

import os
from typing import Final

_ID_BYTES: Final = 16
_IDS_PER_REFILL: Final = 512


class RequestIdSource:
    def __init__(self) -> None:
        self._pool = b""
        self._next = 0

    def discard_pool(self) -> None:
        """Forgets unused random bytes, e.g. in a forked child that must not repeat its parent."""
        self._pool, self._next = b"", 0

    def __call__(self) -> str:
        start = self._next
        if start >= len(self._pool):
            self._pool, start = os.urandom(_ID_BYTES * _IDS_PER_REFILL), 0
        self._next = start + _ID_BYTES
        return self._pool[start : self._next].hex()


new_request_id: Final = RequestIdSource()
os.register_at_fork(after_in_child=new_request_id.discard_pool)
