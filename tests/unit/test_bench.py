"""The benchmarks' own helpers: the yardstick translates like the product, wrk's report is read,
the fake upstream pages by cursor. Nothing here times anything."""

import asyncio
import json

import aiohttp
import orjson
import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpClient, AiohttpServer

from bench.bare_server import BareProxy
from bench.cpu import CpuSnapshot, disturbance
from bench.fake_moda import LIST_PATH, FakeModa, checkpoints_held
from bench.instructions import instructions_in_dump
from bench.options import Options
from bench.processes import BenchError
from bench.task import TASK_BODY, TASK_PATH
from bench.wrk import LoadResult, combine, parse_wrk
from bench.yardstick import UPSTREAM, flatten, handle_with_pool, upstream_pool
from bench.yardstick import pool as pool_context
from proxy.core.versioning import MigrationContext
from translations.changes.flatten_task_envelope_into_job import task_to_job

WRK_OUTPUT = """\
Running 2s test @ http://127.0.0.1:1/v1/tasks/task_1
  1 threads and 32 connections
  Latency Distribution
     50%   11.62ms
     75%   14.00ms
     90%   20.00ms
     99%   32.24ms
  5108 requests in 2.00s, 3.01MB read
  Socket errors: connect 0, read 1, write 0, timeout 2
  Non-2xx or 3xx responses: 4
Requests/sec:   2554.00
latency-quantiles 50.00:11620 99.00:32240 99.99:40125
"""


def test_the_yardstick_gives_the_product_s_job_for_the_bench_task() -> None:
    task = json.loads(TASK_BODY)
    assert flatten(task) == task_to_job(task, MigrationContext())


def test_wrk_s_report_is_read() -> None:
    load = parse_wrk(WRK_OUTPUT)
    assert (load.requests, load.seconds) == (5108, 2.0)
    assert (load.p50_ms, load.p99_ms) == (11.62, 32.24)
    assert (load.non_2xx, load.socket_errors) == (4, 3)
    assert load.quantiles == ((50.0, 11.62), (99.0, 32.24), (99.99, 40.125))


def _round(requests: int, quantiles: tuple[tuple[float, float], ...]) -> LoadResult:
    return LoadResult(requests, 1.0, 0.0, 0.0, 0, 0, quantiles)


def test_rounds_pool_their_latencies_weighted_by_requests() -> None:
    # 900 quick requests (half within 1 ms, all within 2 ms) and 100 slow ones (half within
    # 10 ms, all within 50 ms): of the 1,000, 45% took at most 1 ms, 90% at most 2 ms and only
    # 95% at most 10 ms.
    quick = _round(900, ((50.0, 1.0), (100.0, 2.0)))
    slow = _round(100, ((50.0, 10.0), (100.0, 50.0)))
    pooled = combine([quick, slow])
    assert (pooled.requests, pooled.p50_ms, pooled.p99_ms) == (1000, 2.0, 50.0)


def test_one_disturbed_round_does_not_make_the_pooled_p99() -> None:
    # Two rounds of 100: in the second, two requests took up to 80 ms. Of the 200, 198 (99%)
    # took at most 6 ms, so p99 is 6 ms, not the 80 ms of the second round's own p99.
    steady = _round(100, ((50.0, 2.0), (99.0, 5.0), (100.0, 6.0)))
    disturbed = _round(100, ((50.0, 2.0), (98.0, 5.0), (99.0, 80.0), (100.0, 80.0)))
    assert combine([steady, disturbed]).p99_ms == 6.0
    assert combine([steady, disturbed]).p50_ms == 2.0


def test_rounds_without_quantiles_are_not_pooled() -> None:
    with pytest.raises(BenchError, match="no latency quantiles"):
        combine([_round(10, ())])


def test_a_run_s_disturbance_tells_other_processes_from_the_hypervisor_s_steal() -> None:
    # Over 2 s the machine was busy 4 CPU-seconds, 3 of them ours; 0.6 s more were stolen.
    before, after = CpuSnapshot(10.0, 100.0, 7.0, 50.0), CpuSnapshot(12.0, 104.0, 7.6, 53.0)
    background = disturbance(before, after)
    assert (background.other_processes, round(background.stolen, 6)) == (0.5, 0.3)
    assert background.disturbing
    assert not disturbance(before, CpuSnapshot(12.0, 103.1, 7.0, 53.0)).disturbing


def test_rounds_split_the_duration_in_whole_seconds() -> None:
    assert Options(duration=7, warmup=1, connections=32, rounds=3).round_seconds() == [3, 2, 2]


def test_a_counted_first_page_leaves_one_recent_checkpoint_and_99_anchors() -> None:
    assert checkpoints_held({20, *range(100, 10_000, 100)}) == 100
    assert checkpoints_held(set(range(1, 40))) == 16


async def test_the_fake_upstream_pages_by_cursor(aiohttp_client: AiohttpClient) -> None:
    fake = FakeModa(items=150)
    client = await aiohttp_client(fake.app())
    headers = {"Authorization": "Bearer moda_live_a"}
    first = orjson.loads(await (await client.get(f"{LIST_PATH}?limit=20", headers=headers)).read())
    cursor = first["next_cursor"]
    second = await client.get(f"{LIST_PATH}?limit=100&cursor={cursor}", headers=headers)
    rest = orjson.loads(await second.read())
    ids = [item["id"] for item in first["data"] + rest["data"]]
    assert len(ids) == len(set(ids)) == 120
    assert fake.issued["moda_live_a"] == {20, 120}
    task = await client.get("/v1/tasks/task_x", headers=headers)
    assert orjson.loads(await task.read())["id"] == "task_x"


def _fake_upstream() -> web.Application:
    async def task(request: web.Request) -> web.Response:
        assert request.headers["Moda-Version"] == "2026-05-01"
        return web.Response(
            body=TASK_BODY, content_type="application/json", headers={"X-Request-ID": "req_up"}
        )

    app = web.Application()
    app.router.add_get(TASK_PATH, task)
    return app


async def _legacy_and_canonical(base: str) -> tuple[dict[str, object], str, bytes]:
    async with aiohttp.ClientSession() as session:
        legacy = {"Moda-Version": "2026-04-12", "Authorization": "Bearer moda_live_a"}
        async with session.get(base + TASK_PATH, headers=legacy) as response:
            job, request_id = orjson.loads(await response.read()), response.headers["X-Request-ID"]
        canonical = {"Moda-Version": "2026-05-01", "Authorization": "Bearer moda_live_a"}
        async with session.get(base + TASK_PATH, headers=canonical) as response:
            return job, request_id, await response.read()


async def test_the_layer_servers_answer_what_the_product_answers(
    aiohttp_server: AiohttpServer,
) -> None:
    upstream = await aiohttp_server(_fake_upstream())
    expected = task_to_job(json.loads(TASK_BODY), MigrationContext())
    pool = upstream_pool(str(upstream.make_url("/")))
    bare = await asyncio.get_running_loop().create_server(lambda: BareProxy(pool), "127.0.0.1", 0)
    lean = web.Application()
    lean[UPSTREAM] = str(upstream.make_url("/")).rstrip("/")
    lean.cleanup_ctx.append(pool_context)
    lean.router.add_get("/{tail:.*}", handle_with_pool)
    lean_server = await aiohttp_server(lean)
    try:
        port = bare.sockets[0].getsockname()[1]
        for base in (f"http://127.0.0.1:{port}", str(lean_server.make_url("")).rstrip("/")):
            job, request_id, canonical = await _legacy_and_canonical(base)
            assert (job, request_id, canonical) == (expected, "req_up", TASK_BODY.encode())
    finally:
        bare.close()
        await pool.close()


def test_the_instructions_of_a_callgrind_dump_are_read_from_its_totals_line() -> None:
    dump = "version: 1\ncreator: callgrind-3.19.0\nevents: Ir\nfn=(1) main\n0 12\ntotals: 240118\n"
    assert instructions_in_dump(dump) == 240118
    assert instructions_in_dump("events: Ir\nsummary: 77\n") == 77


def test_a_callgrind_dump_without_totals_is_an_error_that_says_so() -> None:
    with pytest.raises(BenchError, match="no totals"):
        instructions_in_dump("events: Ir\nfn=(1) main\n0 12\n")
