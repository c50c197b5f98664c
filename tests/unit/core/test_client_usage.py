from proxy.core.client_usage import (
    DAY,
    FIVE_MINUTES,
    HOUR,
    OTHER,
    ClientMeta,
    Limits,
    UsageSnapshot,
    forget,
    merge_into,
    prune,
    snapshot_from_json,
    snapshot_of,
    snapshot_to_json,
)

LIMITS = Limits(max_clients=2, max_routes=3, max_agents=2, agent_chars=20, retention_days=14)
NOW = 1_800_000_000.0


def _batch(
    fingerprint: str, when: float, version: str = "2026-04-12", **agents: int
) -> UsageSnapshot:
    meta = ClientMeta(when, when, version, {"pinned": 1}, dict(agents))
    counts = {"r:GET /v1/credits": 1, f"v:{version}": 1, "errors": 1}
    return snapshot_of({fingerprint: meta}, {fingerprint: counts}, when)


def test_a_batch_keeps_in_each_step_only_the_fields_its_windows_need() -> None:
    batch = _batch("a", NOW)

    assert batch.slots[FIVE_MINUTES.name] == {
        FIVE_MINUTES.slot(NOW): {"a": {"r:GET /v1/credits": 1, "errors": 1}}
    }
    assert batch.slots[HOUR.name] == {
        HOUR.slot(NOW): {"a": {"r:GET /v1/credits": 1, "v:2026-04-12": 1}}
    }
    assert batch.slots[DAY.name] == {DAY.slot(NOW): {"a": {"v:2026-04-12": 1}}}


def test_merging_adds_counts_and_keeps_the_earliest_first_and_latest_last_sighting() -> None:
    held = UsageSnapshot()
    merge_into(held, _batch("a", NOW, ua=1), LIMITS)
    merge_into(held, _batch("a", NOW + 10, "2026-05-01", ua=2), LIMITS)
    merge_into(held, _batch("a", NOW - 10), LIMITS)

    meta = held.clients["a"]
    assert (meta.first_seen, meta.last_seen) == (NOW - 10, NOW + 10)
    assert meta.version == "2026-05-01"
    assert meta.flags == {"pinned": 3}
    assert meta.agents == {"ua": 3}
    hours = held.slots[HOUR.name]
    assert sum(by_client["a"]["r:GET /v1/credits"] for by_client in hours.values()) == 3
    assert hours[HOUR.slot(NOW - 10)]["a"]["r:GET /v1/credits"] == 1


def test_clients_and_user_agents_past_their_caps_are_counted_as_other() -> None:
    held = UsageSnapshot()
    for fingerprint in ("a", "b", "c", "d"):
        merge_into(held, _batch(fingerprint, NOW, one=1, two=1, three=1), LIMITS)

    assert set(held.clients) == {"a", "b", OTHER}
    assert held.clients[OTHER].agents == {"one": 2, "two": 2, OTHER: 2}
    assert held.slots[DAY.name][DAY.slot(NOW)][OTHER] == {"v:2026-04-12": 2}


def test_pruning_drops_old_slots_and_clients_unseen_for_the_retention() -> None:
    held = UsageSnapshot()
    merge_into(held, _batch("old", NOW - 15 * DAY.seconds), LIMITS)
    merge_into(held, _batch("new", NOW - 2 * HOUR.seconds), LIMITS)

    prune(held, NOW, LIMITS.retention_days)

    assert set(held.clients) == {"new"}
    assert held.slots[FIVE_MINUTES.name] == {}
    assert list(held.slots[HOUR.name]) == [HOUR.slot(NOW - 2 * HOUR.seconds)]
    assert list(held.slots[DAY.name]) == [DAY.slot(NOW - 2 * HOUR.seconds)]


def test_forgetting_removes_every_trace_and_says_whether_there_was_one() -> None:
    held = UsageSnapshot()
    merge_into(held, _batch("a", NOW), LIMITS)
    merge_into(held, _batch("b", NOW), LIMITS)

    assert forget(held, "a") is True
    assert forget(held, "a") is False
    assert set(held.clients) == {"b"}
    assert all("a" not in by_client for s in held.slots.values() for by_client in s.values())


def test_a_snapshot_survives_its_json_form() -> None:
    held = UsageSnapshot()
    merge_into(held, _batch("a", NOW, ua=2), LIMITS)
    merge_into(held, _batch("b", NOW - DAY.seconds), LIMITS)

    again = snapshot_from_json(snapshot_to_json(held))

    assert again == held
