"""Body `idempotency_key` replays, shared by task starts and manual brand-kit creation."""

import json
from collections.abc import Mapping
from typing import Any

from proxy.sandbox.account import IdempotencyRecord
from proxy.sandbox.errors import SandboxError


def body_fingerprint(raw: Any) -> str:
    """The same JSON body, whatever its key order or spacing."""
    return json.dumps(raw, sort_keys=True, separators=(",", ":"))


def replayed_id(
    records: Mapping[str, IdempotencyRecord],
    key: str | None,
    fingerprint: str,
    *,
    noun: str,
    id_field: str,
) -> str | None:
    """The id a repeated key made before; 409 `idempotency_conflict` if the body has changed."""
    record = records.get(key) if key is not None else None
    if record is None:
        return None
    if record.fingerprint != fingerprint:
        raise SandboxError(
            409,
            "idempotency_conflict",
            "idempotency_conflict",
            f"An existing {noun} is associated with idempotency_key '{key}' "
            "but with a different request body.",
            details={"idempotency_key": key, id_field: record.resource_id},
        )
    return record.resource_id
