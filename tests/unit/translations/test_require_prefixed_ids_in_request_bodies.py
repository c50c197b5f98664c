from proxy.core.versioning import MigrationContext
from translations.changes.require_prefixed_ids_in_request_bodies import (
    prefix_bare_uuids,
)

CANVAS_UUID = "7383d5ba-e41e-4a36-9ace-cd2ec7bfc836"
CANVAS_ID = "cvs_3KGFAVNS0Y98V9NKPD5V3VZJ1P"
OTHER_UUID = "3c8c0446-fa5b-4995-bdb9-d9c6ca41a45e"
OTHER_BODY = "1WHG24DYJV96AVVEESRV54392Y"


def test_bare_uuids_in_id_fields_become_prefixed_ids() -> None:
    body = {
        "prompt": CANVAS_UUID,
        "canvas_id": CANVAS_UUID,
        "template_canvas_id": OTHER_UUID,
        "conversation_id": OTHER_UUID,
        "brand_kit_id": CANVAS_UUID,
        "reference_canvas_ids": [CANVAS_UUID, "cvs_ALREADY", 7],
    }
    assert prefix_bare_uuids(body, MigrationContext()) == {
        "prompt": CANVAS_UUID,
        "canvas_id": CANVAS_ID,
        "template_canvas_id": f"cvs_{OTHER_BODY}",
        "conversation_id": f"conv_{OTHER_BODY}",
        "brand_kit_id": "bk_3KGFAVNS0Y98V9NKPD5V3VZJ1P",
        "reference_canvas_ids": [CANVAS_ID, "cvs_ALREADY", 7],
    }


def test_prefixed_ids_odd_types_and_absent_fields_are_left_for_the_upstream_to_judge() -> None:
    body = {
        "canvas_id": CANVAS_ID,
        "brand_kit_id": None,
        "conversation_id": 12,
        "reference_canvas_ids": "x",
    }
    assert prefix_bare_uuids(dict(body), MigrationContext()) == body
    assert prefix_bare_uuids({}, MigrationContext()) == {}
