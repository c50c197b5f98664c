"""Timestamps and deterministic ids shared by the sandbox's seeding and runtime code."""

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Final

from proxy.core.ids import encode_uuid, uuid_from_prefixed

# Seed data sits before this instant, so the same token sees the same data on every run.
SEED_EPOCH: Final = datetime(2026, 5, 1, tzinfo=UTC)


def iso(moment: datetime) -> str:
    """UTC ISO 8601, `+00:00`, microseconds: fixed width, so strings sort as times."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def digest_int(*parts: object) -> int:
    text = "\x1f".join(str(part) for part in parts)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def seeded_uuid(*parts: object) -> uuid.UUID:
    """A UUIDv4-shaped value fixed by `parts`, so seed ids repeat per credential."""
    raw = hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).digest()[:16]
    return uuid.UUID(bytes=raw, version=4)


def prefixed(prefix: str, value: uuid.UUID) -> str:
    return f"{prefix}_{encode_uuid(value)}"


def seeded_id(prefix: str, *parts: object) -> str:
    return prefixed(prefix, seeded_uuid(prefix, *parts))


def fresh_id(prefix: str) -> str:
    return prefixed(prefix, uuid.uuid4())


def seconds_before_epoch(seconds: float) -> datetime:
    return SEED_EPOCH - timedelta(seconds=seconds)


def canvas_url(canvas_id: str) -> str:
    """Moda's canvas links carry the bare UUID, not the `cvs_` id (moda-api.md §5)."""
    return f"https://moda.app/canvas/{uuid_from_prefixed(canvas_id)}"
