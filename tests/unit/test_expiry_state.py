"""Expiry watches kept in memory, and the seal a credential wears in Redis."""

from proxy.state.expiry import ExpiryWatch, MemoryExpiryWatches
from proxy.state.sealing import CredentialSeal

CREDENTIAL = "Bearer moda_live_sealed"


def test_a_sealed_credential_opens_only_with_its_key_and_for_its_record() -> None:
    seal = CredentialSeal(b"relay secret")
    sealed = seal.seal(CREDENTIAL, b"fp:task_1")
    assert CREDENTIAL.encode() not in sealed
    assert seal.open(sealed, b"fp:task_1") == CREDENTIAL
    assert seal.open(sealed, b"fp:task_2") is None  # moved to another record
    assert CredentialSeal(b"another secret").open(sealed, b"fp:task_1") is None
    assert seal.open(sealed[:-1] + bytes([sealed[-1] ^ 1]), b"fp:task_1") is None
    assert seal.open(b"short", b"fp:task_1") is None


def test_two_seals_of_one_credential_differ() -> None:
    seal = CredentialSeal(b"relay secret")
    assert seal.seal(CREDENTIAL, b"r") != seal.seal(CREDENTIAL, b"r")


def test_neither_a_watch_nor_a_seal_shows_a_credential_or_key_in_its_repr() -> None:
    watch = ExpiryWatch("task_1", "fp", "token", 100.0, CREDENTIAL)
    assert "moda_live" not in repr(watch)
    assert "relay secret" not in repr(CredentialSeal(b"relay secret"))


def _watch(task_id: str) -> ExpiryWatch:
    return ExpiryWatch(task_id, "fp", "token", 1000.0, CREDENTIAL)


async def test_due_watches_are_taken_in_order_and_leased_until_put_off_or_ended() -> None:
    watches = MemoryExpiryWatches()
    await watches.start(_watch("task_b"), due=20.0)
    await watches.start(_watch("task_a"), due=10.0)
    await watches.start(_watch("task_c"), due=50.0)
    assert await watches.next_due() == 10.0

    taken = await watches.take_due(now=30.0, lease_seconds=40.0, limit=10)
    assert [watch.task_id for watch in taken] == ["task_a", "task_b"]
    assert await watches.take_due(now=30.0, lease_seconds=40.0, limit=10) == []  # leased

    await watches.later(taken[0], due=35.0)
    await watches.end("fp", "task_b")
    assert [w.task_id for w in await watches.take_due(60.0, 40.0, 10)] == ["task_a", "task_c"]
    await watches.later(taken[1], due=61.0)  # ended meanwhile: not brought back
    assert len(watches) == 2


async def test_a_full_batch_leaves_the_rest_due() -> None:
    watches = MemoryExpiryWatches()
    for number in range(5):
        await watches.start(_watch(f"task_{number}"), due=float(number))
    assert len(await watches.take_due(now=10.0, lease_seconds=30.0, limit=3)) == 3
    assert await watches.next_due() == 3.0
    for task_id in ("task_0", "task_1", "task_2", "task_3", "task_4"):
        await watches.end("fp", task_id)
    assert await watches.next_due() is None
