"""Moda ids: `<prefix>_` + 26 Crockford base32 characters holding a UUID's 128 bits. Pure.

moda-api.md §5: the body is the UUID read as a big-endian integer, written in Crockford base32
and zero-padded to 26 characters (the ULID text encoding); verified on live pairs.
"""

import re
import uuid
from typing import Final

_ALPHABET: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_DECODE: Final = {char: index for index, char in enumerate(_ALPHABET)}
_BODY_LENGTH: Final = 26
_UUID_TEXT: Final = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
_PREFIXED: Final = re.compile(r"^[a-z]+_[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$")


def is_bare_uuid(value: object) -> bool:
    return isinstance(value, str) and _UUID_TEXT.match(value) is not None


def is_prefixed_id(value: object, prefix: str | None = None) -> bool:
    if not isinstance(value, str) or _PREFIXED.match(value) is None:
        return False
    return prefix is None or value.startswith(prefix + "_")


def encode_uuid(value: uuid.UUID) -> str:
    number, chars = value.int, []
    for _ in range(_BODY_LENGTH):
        number, digit = divmod(number, 32)
        chars.append(_ALPHABET[digit])
    return "".join(reversed(chars))


def decode_body(body: str) -> uuid.UUID:
    """The UUID behind a 26-character body; raises ValueError when it cannot be one."""
    number = 0
    for char in body.upper():
        if char not in _DECODE:
            raise ValueError(f"{char!r} is not a Crockford base32 digit")
        number = number * 32 + _DECODE[char]
    if len(body) != _BODY_LENGTH or number >> 128:
        raise ValueError("an id body is 26 characters holding at most 128 bits")
    return uuid.UUID(int=number)


def prefixed_from_uuid(prefix: str, bare: str) -> str:
    return f"{prefix}_{encode_uuid(uuid.UUID(bare))}"


def uuid_from_prefixed(value: str) -> uuid.UUID:
    return decode_body(value.split("_", 1)[1])
