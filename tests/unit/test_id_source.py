"""Ids the proxy makes up for requests: distinct, random-looking, and valid X-Request-ID values."""

import os

from proxy.core.envelope import is_sane_request_id
from proxy.server.id_source import RequestIdSource, new_request_id


def test_ids_are_distinct_across_many_refills_and_valid_request_ids() -> None:
    source = RequestIdSource()
    ids = [source() for _ in range(5000)]
    assert len(set(ids)) == len(ids)
    assert all(is_sane_request_id(made) for made in ids)
    assert all(len(made) == 32 for made in ids)


def test_two_sources_do_not_repeat_each_other() -> None:
    first, second = RequestIdSource(), RequestIdSource()
    assert {first() for _ in range(100)}.isdisjoint({second() for _ in range(100)})


def test_a_forked_child_does_not_repeat_its_parents_next_ids() -> None:
    new_request_id()  # the pool is filled before the fork
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.write(write, new_request_id().encode())
        os._exit(0)
    os.close(write)
    child_id = os.read(read, 64).decode()
    os.waitpid(pid, 0)
    os.close(read)
    assert child_id != new_request_id()
