"""`Moda-Compat-Derived` names the fields the proxy made up or changed in meaning, per answer."""

from typing import Any

from pytest_aiohttp import AiohttpClient

from proxy.app import create_admin_app
from tests.fakes.clock import FakeClock
from tests.integration.conftest import AUTH, CANONICAL, LEGACY, ProxyClient, ProxyFactory

HEADER = "Moda-Compat-Derived"


def _derived(response: Any) -> list[str]:
    value = response.headers.get(HEADER)
    return [] if value is None else value.split(", ")


async def _start(proxy: ProxyClient, prompt: str = "A deck") -> str:
    created = await proxy.post("/v1/tasks", json={"prompt": prompt}, headers=LEGACY)
    job_id: str = (await created.json())["job_id"]
    return job_id


async def test_a_queued_job_says_its_message_was_made_up(proxy: ProxyClient) -> None:
    created = await proxy.post("/v1/tasks", json={"prompt": "A deck"}, headers=LEGACY)
    assert (await created.json())["retry_after_seconds"] == 2
    assert _derived(created) == ["message"]


async def test_a_retry_hint_rounded_up_from_milliseconds_is_named(
    proxy: ProxyClient, clock: FakeClock
) -> None:
    job_id = await _start(proxy)
    clock.advance(0.5)  # 1.5 s left in the queue: 1500 ms, told as 2 s
    polled = await proxy.get(f"/v1/tasks/{job_id}", headers=LEGACY)
    assert (await polled.json())["retry_after_seconds"] == 2
    assert _derived(polled) == ["message", "retry_after_seconds"]


async def test_a_running_job_with_its_own_message_has_no_header(
    proxy: ProxyClient, clock: FakeClock
) -> None:
    job_id = await _start(proxy)
    clock.advance(3)
    polled = await proxy.get(f"/v1/tasks/{job_id}", headers=LEGACY)
    assert (await polled.json())["status"] == "running"
    assert HEADER not in polled.headers


async def test_an_expired_job_names_its_status(proxy: ProxyClient, clock: FakeClock) -> None:
    job_id = await _start(proxy, "A deck #expire")
    clock.advance(3600)
    polled = await proxy.get(f"/v1/tasks/{job_id}", headers=LEGACY)
    assert (await polled.json())["status"] == "failed"
    assert "status" in _derived(polled)


async def test_a_cancel_still_in_progress_names_its_status(
    proxy: ProxyClient, clock: FakeClock
) -> None:
    job_id = await _start(proxy, "A deck #slow-cancel")
    clock.advance(3)
    accepted = await proxy.post(f"/v1/tasks/{job_id}/cancel", headers=LEGACY)
    assert (await accepted.json())["status"] == "running"
    assert _derived(accepted) == ["status"]


async def test_brand_kits_name_the_team_id_looked_up(proxy: ProxyClient) -> None:
    page = await proxy.get("/v1/brand-kits", headers=LEGACY)
    assert (await page.json())["brand_kits"]
    assert _derived(page) == ["team_id"]


async def test_a_total_that_is_a_lower_bound_is_named_and_an_exact_one_is_not(
    start_proxy: ProxyFactory,
) -> None:
    exact = await start_proxy()
    counted = await exact.get("/v1/canvases?limit=1", headers=LEGACY)
    assert counted.headers["X-Total-Exact"] == "true"
    assert HEADER not in counted.headers

    bounded = await start_proxy(pagination={"count_max_pages": 0})
    first = await bounded.get("/v1/canvases?limit=1", headers=LEGACY)
    assert first.headers["X-Total-Exact"] == "false"
    assert _derived(first) == ["total"]


async def test_canonical_answers_never_carry_the_header(proxy: ProxyClient) -> None:
    created = await proxy.post("/v1/tasks", json={"prompt": "A deck"}, headers=CANONICAL)
    assert HEADER not in created.headers


async def test_pre_versioning_jobs_name_what_was_derived_too(proxy: ProxyClient) -> None:
    created = await proxy.post("/v1/jobs", json={"prompt": "An ad"}, headers=AUTH)
    assert _derived(created) == ["message"]


async def test_derived_fields_are_counted_by_name_and_listed_per_change(
    proxy: ProxyClient, aiohttp_client: AiohttpClient
) -> None:
    await proxy.post("/v1/tasks", json={"prompt": "A deck"}, headers=LEGACY)
    await proxy.get("/v1/brand-kits", headers=LEGACY)
    admin = await aiohttp_client(create_admin_app(proxy.app))
    metrics = await (await admin.get("/-/metrics")).text()
    assert 'proxy_derived_fields_total{field="message"} 1.0' in metrics
    assert 'proxy_derived_fields_total{field="team_id"} 1.0' in metrics
    assert 'proxy_derived_fields_total{field="total"} 0.0' in metrics
    assert metrics.count("proxy_derived_fields_total{") == 6

    changelog = (await (await admin.get("/-/versions")).json())["changelog"]
    derived = {
        change["name"]: change["derived"] for version in changelog for change in version["changes"]
    }
    assert derived["flatten_task_envelope_into_job"] == ["message", "retry_after_seconds", "error"]
    assert derived["rename_task_statuses"] == ["status"]
    assert derived["add_team_id_to_brand_kits"] == ["team_id"]
    assert derived["use_offset_pagination_with_plural_keys"] == ["total"]
    assert derived["use_bare_uuid_ids"] == []
