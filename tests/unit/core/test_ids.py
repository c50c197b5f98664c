import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from proxy.core.ids import (
    decode_body,
    encode_uuid,
    is_bare_uuid,
    is_prefixed_id,
    prefixed_from_uuid,
    uuid_from_prefixed,
)


@pytest.mark.parametrize(
    ("bare", "prefixed"),
    [
        ("7383d5ba-e41e-4a36-9ace-cd2ec7bfc836", "cvs_3KGFAVNS0Y98V9NKPD5V3VZJ1P"),
        ("3c8c0446-fa5b-4995-bdb9-d9c6ca41a45e", "cvs_1WHG24DYJV96AVVEESRV54392Y"),
    ],
)
def test_prefixed_from_uuid_matches_live_pairs(bare: str, prefixed: str) -> None:
    assert prefixed_from_uuid("cvs", bare) == prefixed
    assert str(uuid_from_prefixed(prefixed)) == bare


def test_documented_sample_decodes_to_its_uuid() -> None:
    assert str(uuid_from_prefixed("task_01HT9WK8N3M2J4A5Z6P7Q8R9TV")) == (
        "018e93c9-a2a3-a0a4-4517-e6b1ee8c275b"
    )


@given(st.uuids())
def test_encoding_round_trips_every_uuid(value: uuid.UUID) -> None:
    body = encode_uuid(value)
    assert len(body) == 26
    assert decode_body(body) == value
    assert decode_body(body.lower()) == value


@pytest.mark.parametrize(
    "body", ["8ZZZZZZZZZZZZZZZZZZZZZZZZZ", "0123", "0000000000000000000000000U"]
)
def test_decode_body_refuses_what_is_not_a_uuid(body: str) -> None:
    with pytest.raises(ValueError, match=r"digit|26 characters"):
        decode_body(body)


def test_predicates_tell_bare_from_prefixed() -> None:
    assert is_bare_uuid("7383d5ba-e41e-4a36-9ace-cd2ec7bfc836")
    assert not is_bare_uuid("cvs_3KGFAVNS0Y98V9NKPD5V3VZJ1P")
    assert not is_bare_uuid(42)
    assert is_prefixed_id("cvs_3KGFAVNS0Y98V9NKPD5V3VZJ1P", "cvs")
    assert not is_prefixed_id("cvs_3KGFAVNS0Y98V9NKPD5V3VZJ1P", "bk")
    assert not is_prefixed_id("cvs_3KGFAVNS0Y98V9NKPD5V3VZJ1U")
    assert not is_prefixed_id(None)
