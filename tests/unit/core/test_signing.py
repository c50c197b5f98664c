import pytest

from proxy.core.signing import check_signature, sign, verify
from proxy.errors import SignatureRefused

BODY = b'{"id":"evt_1"}'


def test_sign_matches_the_documented_scheme() -> None:
    import hashlib
    import hmac

    expected = hmac.new(b"whsec_x", b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert sign("whsec_x", 1700000000, BODY) == f"v1={expected}"
    assert verify("whsec_x", 1700000000, BODY, f"v1={expected}")
    assert not verify("whsec_y", 1700000000, BODY, f"v1={expected}")


def test_check_signature_accepts_a_fresh_signature_among_several() -> None:
    header = f"v1=deadbeef, {sign('whsec_x', 1000, BODY)}"
    check_signature("whsec_x", "1000", header, BODY, now=1100, tolerance_seconds=300)


@pytest.mark.parametrize(
    ("timestamp", "signature", "now"),
    [
        (None, sign("whsec_x", 1000, BODY), 1000),
        ("1000", None, 1000),
        ("soon", sign("whsec_x", 1000, BODY), 1000),
        ("1000", sign("whsec_x", 1000, BODY), 1301),
        ("1000", sign("whsec_x", 1000, BODY), 699),
        ("1000", sign("whsec_x", 1000, BODY + b" "), 1000),
    ],
)
def test_check_signature_refuses_missing_stale_and_wrong_signatures(
    timestamp: str | None, signature: str | None, now: float
) -> None:
    with pytest.raises(SignatureRefused):
        check_signature("whsec_x", timestamp, signature, BODY, now=now, tolerance_seconds=300)
