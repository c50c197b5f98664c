"""Builders of canonical list items (moda-api.md §2.6) for seeds and live requests."""

from datetime import datetime

from proxy.core.payload import JSONObject
from proxy.sandbox.stamps import canvas_url, iso


def canvas_item(
    *,
    canvas_id: str,
    name: str,
    category: str,
    created_at: datetime,
    creator: JSONObject,
    visibility: str = "private",
) -> JSONObject:
    stamp = iso(created_at)
    return {
        "id": canvas_id,
        "name": name,
        "url": canvas_url(canvas_id),
        "category": category,
        "visibility": visibility,
        "created_at": stamp,
        "updated_at": stamp,
        "created_by": dict(creator),
    }


def brand_kit_item(
    *, kit_id: str, company: str, site: str, is_default: bool, created_at: datetime
) -> JSONObject:
    stamp = iso(created_at)
    return {
        "id": kit_id,
        "title": f"{company} brand",
        "is_default": is_default,
        "created_at": stamp,
        "updated_at": stamp,
        "company_name": company,
        "company_url": site,
        "company_description": f"{company} makes things people like to use.",
        "tagline": f"{company}, made simple.",
        "brand_values": ["clarity", "craft"],
        "brand_aesthetic": ["minimal", "bold type"],
        "brand_tone_of_voice": ["friendly", "direct"],
        "colors": [
            {"color": "#1F2937", "label": "Ink"},
            {"color": "#F59E0B", "label": "Accent"},
        ],
        "fonts": [{"family": "Inter", "label": "Body", "weight": 400, "supported": True}],
        "logos": [
            {
                "group_name": "Primary",
                "images": [{"name": "logo.svg", "url": f"{site.rstrip('/')}/logo.svg"}],
            }
        ],
    }


def organization_item(
    *, org_id: str, name: str, role: str, teams: list[JSONObject], created_at: datetime
) -> JSONObject:
    return {
        "id": org_id,
        "name": name,
        "role": role,
        "teams": teams,
        "created_at": iso(created_at),
    }


def team_item(*, team_id: str, name: str, is_default: bool) -> JSONObject:
    return {"id": team_id, "name": name, "is_default": is_default}


def event_item(
    *,
    event_id: str,
    type_: str,
    created_at: datetime,
    method: str,
    path: str,
    status: int,
) -> JSONObject:
    return {
        "id": event_id,
        "type": type_,
        "created_at": iso(created_at),
        "method": method,
        "path": path,
        "status": status,
    }
