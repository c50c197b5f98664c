"""What a task will produce, decided at start: result ids now, objects at success."""

from dataclasses import dataclass
from datetime import datetime

from yarl import URL

from proxy.core.payload import JSONObject
from proxy.sandbox.account import Account, Effect
from proxy.sandbox.bodies import StartTaskBody
from proxy.sandbox.errors import not_found
from proxy.sandbox.factories import brand_kit_item, canvas_item
from proxy.sandbox.stamps import canvas_url, fresh_id, iso


@dataclass(frozen=True)
class Plan:
    result: JSONObject
    on_success: Effect
    working_canvas_url: str | None = None


def find_canvas(account: Account, canvas_id: str) -> JSONObject:
    canvas = account.canvases.get(canvas_id)
    if canvas is None:
        raise not_found(f"Canvas {canvas_id} not found", code="file_not_found")
    return canvas


def check_brand_kit(account: Account, kit_id: str | None) -> None:
    if kit_id is not None and account.brand_kits.get(kit_id) is None:
        raise not_found(f"Brand kit {kit_id} not found")


def plan_design(account: Account, body: StartTaskBody) -> Plan:
    """Edits the named canvas, else the conversation's, else makes one at success."""
    conversation_id = body.conversation_id or fresh_id("conv")
    existing_id = body.canvas_id or account.conversations.get(body.conversation_id or "")
    if existing_id is not None and body.template_canvas_id is None:
        return _edit(account, find_canvas(account, existing_id), conversation_id)
    if body.template_canvas_id is not None:
        template = find_canvas(account, body.template_canvas_id)
        name, category = (
            body.canvas_name or f"Remix of {template['name']}",
            template["category"],
        )
    else:
        name = body.canvas_name or body.prompt.strip()[:60]
        category = str((body.format or {}).get("category") or "slides")
    canvas_id = fresh_id("cvs")

    def create(when: datetime) -> None:
        account.canvases.add(_canvas(account, canvas_id, name, category, when))
        account.conversations[conversation_id] = canvas_id

    result = {
        "canvas_id": canvas_id,
        "canvas_url": canvas_url(canvas_id),
        "conversation_id": conversation_id,
    }
    return Plan(result=result, on_success=create)


def _edit(account: Account, canvas: JSONObject, conversation_id: str) -> Plan:
    def touch(when: datetime) -> None:
        canvas["updated_at"] = iso(when)
        account.conversations[conversation_id] = canvas["id"]

    result = {
        "canvas_id": canvas["id"],
        "canvas_url": canvas["url"],
        "conversation_id": conversation_id,
    }
    return Plan(result=result, on_success=touch, working_canvas_url=canvas["url"])


def plan_remix(account: Account, source: JSONObject, new_name: str | None) -> Plan:
    """The copy is named like its source unless `new_name` says otherwise."""
    canvas_id = fresh_id("cvs")
    name = new_name or source["name"]

    def create(when: datetime) -> None:
        account.canvases.add(_canvas(account, canvas_id, name, source["category"], when))

    result = {
        "canvas_id": canvas_id,
        "canvas_url": canvas_url(canvas_id),
        "source_canvas_id": source["id"],
    }
    return Plan(result=result, on_success=create)


def plan_brand_kit(account: Account, site: str) -> Plan:
    kit_id = fresh_id("bk")
    host = URL(site).host or "example.com"
    company = host.removeprefix("www.").split(".")[0].capitalize() or "Company"

    def create(when: datetime) -> None:
        account.brand_kits.add(
            brand_kit_item(
                kit_id=kit_id,
                company=company,
                site=site,
                is_default=False,
                created_at=when,
            )
        )

    return Plan(result={"brand_kit_id": kit_id}, on_success=create)


def _canvas(
    account: Account, canvas_id: str, name: str, category: str, when: datetime
) -> JSONObject:
    return canvas_item(
        canvas_id=canvas_id,
        name=name,
        category=category,
        created_at=when,
        creator=account.me.user,
    )
