"""What the migration report remembers about each client, and how counts combine. Pure.

A client is a credential's fingerprint. Counts are kept in time slots at three steps: five
minutes (for the last hour), one hour (for the last day) and one UTC day (for the daily series and
the retention). A slot holds, per fingerprint, fields named `r:<route template>`, `v:<served
version>` and `errors`; each step keeps only the fields its windows need. Nothing else about a
request is kept: no credential, body, id or raw path.
"""

from dataclasses import dataclass, field
from typing import Any, Final

OTHER: Final = "other"
ROUTE: Final = "r:"
VERSION: Final = "v:"
ERRORS: Final = "errors"
FLAGS: Final = ("pinned", "unpinned", "waits", "webhooks", "derived")

Counts = dict[str, int]
# slot number -> fingerprint -> field -> count
Slots = dict[int, dict[str, Counts]]


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    seconds: int
    fields: tuple[str, ...]

    def slot(self, when: float) -> int:
        return int(when // self.seconds)

    def keeps(self, name: str) -> bool:
        return name.startswith(self.fields)


FIVE_MINUTES: Final = Step("5m", 300, (ROUTE, ERRORS))
HOUR: Final = Step("1h", 3600, (ROUTE, VERSION))
DAY: Final = Step("1d", 86400, (VERSION,))
STEPS: Final = (FIVE_MINUTES, HOUR, DAY)
# Slots older than these are dropped; days are kept for the retention instead.
_KEPT_SECONDS: Final = {FIVE_MINUTES.name: 3900, HOUR.name: 90000}


@dataclass(slots=True)
class ClientMeta:
    """What is known of a client across its whole retained life."""

    first_seen: float
    last_seen: float
    version: str
    flags: Counts = field(default_factory=dict)
    agents: Counts = field(default_factory=dict)

    def absorb(self, other: "ClientMeta", max_agents: int) -> None:
        if other.last_seen >= self.last_seen:
            self.version = other.version
        self.first_seen = min(self.first_seen, other.first_seen)
        self.last_seen = max(self.last_seen, other.last_seen)
        add_counts(self.flags, other.flags)
        add_capped(self.agents, other.agents, max_agents)


@dataclass(slots=True)
class UsageSnapshot:
    clients: dict[str, ClientMeta] = field(default_factory=dict)
    slots: dict[str, Slots] = field(default_factory=lambda: {step.name: {} for step in STEPS})


@dataclass(frozen=True, slots=True)
class Limits:
    max_clients: int
    max_routes: int
    max_agents: int
    agent_chars: int
    retention_days: int


def add_counts(target: Counts, source: Counts) -> None:
    for name, count in source.items():
        target[name] = target.get(name, 0) + count


def add_capped(target: Counts, source: Counts, most: int, other: str = OTHER) -> None:
    """Adds counts, new names only while fewer than `most` are held; the rest go to `other`."""
    for name, count in source.items():
        if name not in target and len(target) >= most:
            name = other
        target[name] = target.get(name, 0) + count


def _slot_counts(counts: Counts, step: Step) -> Counts:
    return {name: count for name, count in counts.items() if step.keeps(name)}


def snapshot_of(
    metas: dict[str, ClientMeta], counts: dict[str, Counts], when: float
) -> UsageSnapshot:
    """A flushed batch as a snapshot: every count falls in the slots holding `when`."""
    snapshot = UsageSnapshot(clients=metas)
    for step in STEPS:
        by_client = {fp: _slot_counts(fields, step) for fp, fields in counts.items()}
        kept = {fp: fields for fp, fields in by_client.items() if fields}
        if kept:
            snapshot.slots[step.name][step.slot(when)] = kept
    return snapshot


def merge_into(target: UsageSnapshot, source: UsageSnapshot, limits: Limits) -> None:
    """Adds `source` to `target`; clients past `limits.max_clients` are counted as `other`."""
    renamed: dict[str, str] = {}
    for fingerprint, meta in source.clients.items():
        kept = fingerprint
        if fingerprint not in target.clients and len(target.clients) >= limits.max_clients:
            kept = OTHER
        renamed[fingerprint] = kept
        held = target.clients.get(kept)
        if held is None:
            target.clients[kept] = ClientMeta(meta.first_seen, meta.last_seen, meta.version)
            held = target.clients[kept]
        held.absorb(meta, limits.max_agents)
    for step in STEPS:
        slots = target.slots[step.name]
        for slot, by_client in source.slots.get(step.name, {}).items():
            held_slot = slots.setdefault(slot, {})
            for fingerprint, fields in by_client.items():
                kept = renamed.get(fingerprint, fingerprint)
                add_counts(held_slot.setdefault(kept, {}), fields)


def kept_seconds(step: Step, retention_days: int) -> int:
    return _KEPT_SECONDS.get(step.name, retention_days * DAY.seconds)


def oldest_slot(step: Step, now: float, retention_days: int) -> int:
    return step.slot(now - kept_seconds(step, retention_days))


def prune(snapshot: UsageSnapshot, now: float, retention_days: int) -> None:
    """Forgets slots past their step's window and clients unseen for the retention."""
    for step in STEPS:
        oldest = oldest_slot(step, now, retention_days)
        slots = snapshot.slots[step.name]
        for slot in [slot for slot in slots if slot < oldest]:
            del slots[slot]
    cutoff = now - retention_days * DAY.seconds
    for fingerprint in [fp for fp, meta in snapshot.clients.items() if meta.last_seen < cutoff]:
        forget(snapshot, fingerprint)


def forget(snapshot: UsageSnapshot, fingerprint: str) -> bool:
    """Drops every trace of one client; False when there was none."""
    found = snapshot.clients.pop(fingerprint, None) is not None
    for slots in snapshot.slots.values():
        for by_client in slots.values():
            found = by_client.pop(fingerprint, None) is not None or found
    return found


def snapshot_to_json(snapshot: UsageSnapshot) -> dict[str, Any]:
    return {
        "clients": {
            fp: {
                "first_seen": meta.first_seen,
                "last_seen": meta.last_seen,
                "version": meta.version,
                "flags": meta.flags,
                "agents": meta.agents,
            }
            for fp, meta in snapshot.clients.items()
        },
        "slots": {
            name: {str(slot): by_client for slot, by_client in slots.items()}
            for name, slots in snapshot.slots.items()
        },
    }


def snapshot_from_json(document: dict[str, Any]) -> UsageSnapshot:
    """The inverse of snapshot_to_json; KeyError, TypeError or ValueError when it is not one."""
    snapshot = UsageSnapshot()
    for fp, meta in document["clients"].items():
        snapshot.clients[str(fp)] = ClientMeta(
            float(meta["first_seen"]),
            float(meta["last_seen"]),
            str(meta["version"]),
            {str(k): int(v) for k, v in meta["flags"].items()},
            {str(k): int(v) for k, v in meta["agents"].items()},
        )
    for step in STEPS:
        for slot, by_client in document["slots"].get(step.name, {}).items():
            snapshot.slots[step.name][int(slot)] = {
                str(fp): {str(k): int(v) for k, v in fields.items()}
                for fp, fields in by_client.items()
            }
    return snapshot
