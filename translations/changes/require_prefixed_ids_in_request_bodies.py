"""JSON request bodies must name canvases, conversations and brand kits by their prefixed ids
(`cvs_…`, `conv_…`, `bk_…`). A bare UUID in `canvas_id`, `template_canvas_id`, `conversation_id`,
`brand_kit_id` or `reference_canvas_ids` is still accepted and converted to the same id's prefixed
form; ids in paths were never affected."""

from typing import Any, Final

from proxy.core.ids import is_bare_uuid, prefixed_from_uuid
from proxy.core.payload import JSONObject
from proxy.core.versioning import MigrationContext, VersionChange
from translations.common import REMIX, START_TASK

_PREFIX_OF_FIELD: Final = {
    "canvas_id": "cvs",
    "template_canvas_id": "cvs",
    "conversation_id": "conv",
    "brand_kit_id": "bk",
}
_CANVAS_LIST_FIELD: Final = "reference_canvas_ids"


def _prefixed(prefix: str, value: Any) -> Any:
    return prefixed_from_uuid(prefix, value) if is_bare_uuid(value) else value


def prefix_bare_uuids(body: JSONObject, context: MigrationContext) -> JSONObject:
    for field, prefix in _PREFIX_OF_FIELD.items():
        if field in body:
            body[field] = _prefixed(prefix, body[field])
    references = body.get(_CANVAS_LIST_FIELD)
    if isinstance(references, list):
        body[_CANVAS_LIST_FIELD] = [_prefixed("cvs", item) for item in references]
    return body


CHANGE = VersionChange(
    name=__name__,
    summary=__doc__,
    requests={START_TASK: prefix_bare_uuids, REMIX: prefix_bare_uuids},
)
