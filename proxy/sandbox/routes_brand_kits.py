"""Brand-kit writes: create by extraction from `{url}` (a task) or from direct fields (the
kit itself, at once, as the official CLI's manual lane expects), and PATCH."""

from datetime import datetime
from typing import Any, Final

from aiohttp import web

from proxy.core.payload import JSONObject
from proxy.sandbox.account import Account, IdempotencyRecord
from proxy.sandbox.bodies import BrandKitBody, parse_body, require_url
from proxy.sandbox.brand_kit_bodies import BrandKitPatchBody, ManualBrandKitBody, kit_fields
from proxy.sandbox.errors import not_found, validation_failed
from proxy.sandbox.http import account_of, json_response, read_json
from proxy.sandbox.idempotency import body_fingerprint, replayed_id
from proxy.sandbox.keys import SANDBOX_STATE
from proxy.sandbox.paths import path_id
from proxy.sandbox.plans import plan_brand_kit
from proxy.sandbox.stamps import fresh_id, iso
from proxy.sandbox.task_flow import new_task, start, task_response

_MANUAL_FIELDS: Final = frozenset(ManualBrandKitBody.model_fields) - {"idempotency_key"}


def add_brand_kit_routes(app: web.Application) -> None:
    app.router.add_post("/v1/brand-kits", create_brand_kit)
    app.router.add_patch("/v1/brand-kits/{id}", update_brand_kit)


async def create_brand_kit(request: web.Request) -> web.Response:
    raw = await read_json(request)
    if isinstance(raw, dict) and "url" not in raw and "name" in raw:
        return _create_manually(request, raw)
    if isinstance(raw, dict) and "url" in raw and _MANUAL_FIELDS & raw.keys():
        message = "url extracts a kit; the direct fields build one: send one or the other."
        raise validation_failed(
            [{"field": "body.url", "code": "conflicting_fields", "message": message}]
        )
    return await _extract(request, raw)


async def _extract(request: web.Request, raw: Any) -> web.Response:
    body = parse_body(BrandKitBody, raw)
    require_url(body.url, "url", frozenset({"https"}))
    account = account_of(request)
    plan = plan_brand_kit(account, body.url)
    task = new_task(
        request, kind="brand_kit_extract", input_={"url": body.url}, planned_result=plan.result
    )
    start(request, account, task, plan.on_success)
    return await task_response(request, account, task)


def _create_manually(request: web.Request, raw: dict[str, Any]) -> web.Response:
    """Deterministic and free: the kit is answered at once. A repeated idempotency key (the
    CLI derives one from the body) answers the kit it made, not a second one."""
    body = parse_body(ManualBrandKitBody, raw)
    account = account_of(request)
    fingerprint = body_fingerprint(raw)
    replayed = replayed_id(
        account.kit_idempotency,
        body.idempotency_key,
        fingerprint,
        noun="brand kit",
        id_field="brand_kit_id",
    )
    kit_made = account.brand_kits.get(replayed) if replayed is not None else None
    if kit_made is not None:
        return json_response(dict(kit_made))
    logos = _logos(account, body.logo_file_ids or [])
    now = request.app[SANDBOX_STATE].clock.wall()
    kit = _manual_kit(body, logos, is_default=len(account.brand_kits) == 0, when=now)
    account.brand_kits.add(kit)
    if body.idempotency_key is not None:
        account.kit_idempotency[body.idempotency_key] = IdempotencyRecord(fingerprint, kit["id"])
    account.record_event("brand_kit.created", request.method, request.path, 200, now)
    return json_response(dict(kit))


def _logos(account: Account, file_ids: list[str]) -> list[JSONObject]:
    images: list[JSONObject] = []
    for file_id in file_ids:
        upload = account.uploads.get(file_id)
        if upload is None:
            raise not_found(f"File {file_id} not found")
        images.append({"file_id": upload.id, "name": upload.filename, "url": upload.url})
    return [{"group_name": "Logos", "images": images}] if images else []


def _manual_kit(
    body: ManualBrandKitBody, logos: list[JSONObject], *, is_default: bool, when: datetime
) -> JSONObject:
    """The read model; the name is the title and, unless sent, the company name too."""
    stamp = iso(when)
    kit: JSONObject = {
        "id": fresh_id("bk"),
        "title": body.name,
        "is_default": is_default,
        "created_at": stamp,
        "updated_at": stamp,
        "company_name": body.name,
        "company_url": None,
        "company_description": None,
        "tagline": None,
        "brand_values": [],
        "brand_aesthetic": [],
        "brand_tone_of_voice": [],
        "colors": [],
        "fonts": [],
        "logos": logos,
    }
    kit.update(kit_fields(body))
    return kit


async def update_brand_kit(request: web.Request) -> web.Response:
    body = parse_body(BrandKitPatchBody, await read_json(request))
    account = account_of(request)
    kit_id = path_id(request, "bk")
    kit = account.brand_kits.get(kit_id)
    if kit is None:
        raise not_found(f"Brand kit {kit_id} not found")
    changes = kit_fields(body)
    if changes:
        now = request.app[SANDBOX_STATE].clock.wall()
        kit.update(changes)
        kit["updated_at"] = iso(now)
        account.record_event("brand_kit.updated", request.method, request.path, 200, now)
    return json_response(dict(kit))
