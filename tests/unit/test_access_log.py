"""The access log keeps lines in memory and writes them in batches: what reaches the sink, when."""

import asyncio

import orjson

from proxy.server.access import AccessLog


def _request_ids(batches: list[bytes]) -> list[str]:
    return [orjson.loads(line)["request_id"] for batch in batches for line in batch.splitlines()]


async def test_the_lines_of_one_loop_iteration_are_written_together_on_the_next() -> None:
    batches: list[bytes] = []
    log = AccessLog(batches.append)
    for n in range(3):
        log.write({"request_id": f"r{n}"})
    assert batches == []
    await asyncio.sleep(0)
    assert len(batches) == 1
    assert _request_ids(batches) == ["r0", "r1", "r2"]
    log.write({"request_id": "r3"})
    await asyncio.sleep(0)
    assert _request_ids(batches) == ["r0", "r1", "r2", "r3"]


async def test_close_writes_the_lines_still_kept() -> None:
    batches: list[bytes] = []
    log = AccessLog(batches.append)
    log.write({"request_id": "last"})
    log.close()
    assert _request_ids(batches) == ["last"]
    await asyncio.sleep(0)  # the scheduled flush finds nothing left to write
    assert len(batches) == 1


def test_without_a_running_loop_a_line_is_written_at_once() -> None:
    batches: list[bytes] = []
    AccessLog(batches.append).write({"request_id": "alone"})
    assert _request_ids(batches) == ["alone"]


async def test_every_line_is_one_json_object_ending_in_a_newline() -> None:
    batches: list[bytes] = []
    log = AccessLog(batches.append)
    log.write({"request_id": "r", "status": 200})
    log.close()
    (line,) = batches
    assert line.endswith(b"\n")
    assert orjson.loads(line)["logger"] == "proxy.access"


async def test_the_shared_fields_lead_every_line_and_an_empty_line_is_still_one_object() -> None:
    batches: list[bytes] = []
    log = AccessLog(batches.append)
    log.write({"request_id": "r", "changes": ("a", "b")})
    log.write({})
    log.close()
    first, empty = (orjson.loads(line) for line in batches[0].splitlines())
    assert list(first)[:3] == ["ts", "level", "logger"]
    assert (first["request_id"], first["changes"]) == ("r", ["a", "b"])
    assert set(empty) == {"ts", "level", "logger"}
