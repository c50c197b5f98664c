"""Bodies of the write routes, their validation, and Moda's id rules for them."""

from typing import Annotated, Any, Final, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from yarl import URL

from proxy.core.ids import encode_uuid, is_bare_uuid, uuid_from_prefixed
from proxy.sandbox.errors import invalid_request, validation_failed

_ID_FIELDS: Final = (
    "canvas_id",
    "template_canvas_id",
    "conversation_id",
    "brand_kit_id",
)
_BODY_CHARS: Final = "[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}"
CanvasId = Annotated[str, Field(pattern=f"^cvs_{_BODY_CHARS}$")]
ConversationId = Annotated[str, Field(pattern=f"^conv_{_BODY_CHARS}$")]
BrandKitId = Annotated[str, Field(pattern=f"^bk_{_BODY_CHARS}$")]
Prompt = Annotated[str, Field(min_length=1, pattern=r"\S")]
Model = TypeVar("Model", bound=BaseModel)


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)

    @field_validator(*_ID_FIELDS, "reference_canvas_ids", mode="after", check_fields=False)
    @classmethod
    def _canonical_ids(cls, value: Any) -> Any:
        """Crockford ids are case-insensitive; keep their one canonical spelling."""
        if isinstance(value, list):
            return [_canonical(item) for item in value]
        return _canonical(value)


class StartTaskBody(_Body):
    prompt: Prompt
    conversation_id: ConversationId | None = None
    canvas_id: CanvasId | None = None
    template_canvas_id: CanvasId | None = None
    canvas_name: Annotated[str, Field(max_length=255)] | None = None
    brand_kit_id: BrandKitId | None = None
    skip_brand_kit: bool = False
    callback_url: str | None = None
    idempotency_key: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    attachments: list[dict[str, Any]] | None = None
    format: dict[str, Any] | None = None
    model_tier: Literal["pro_max", "pro", "standard", "lite"] | None = None
    reference_canvas_ids: list[CanvasId] | None = None
    number_of_slides: Annotated[int, Field(ge=1)] | None = None
    export_on_complete: dict[str, Any] | None = None


class RemixBody(_Body):
    canvas_id: CanvasId
    prompt: Prompt | None = None
    new_name: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    brand_kit_id: BrandKitId | None = None
    skip_brand_kit: bool = False
    callback_url: str | None = None


class BrandKitBody(_Body):
    url: Annotated[str, Field(min_length=1, max_length=2048)]


class UploadFromUrlBody(_Body):
    # The official CLI relies on Moda refusing unknown fields here (`extra_forbidden`).
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    source_url: Annotated[str, Field(min_length=1, max_length=2048)]
    filename: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    folder_id: str | None = None


def parse_body(model: type[Model], raw: Any) -> Model:
    """Bare UUIDs in id fields are a 400 (moda-api.md §5); other faults a 422."""
    if isinstance(raw, dict):
        _reject_bare_uuids(raw)
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        raise validation_failed([_field(entry) for entry in error.errors()]) from error


def echo_input(body: BaseModel) -> dict[str, Any]:
    """A Task's `input`: the request as sent, minus delivery plumbing."""
    return body.model_dump(exclude_unset=True, exclude={"callback_url", "idempotency_key"})


def require_url(value: str | None, field: str, schemes: frozenset[str]) -> None:
    if value is None:
        return
    url = URL(value)
    if url.scheme not in schemes or not url.host:
        allowed = " or ".join(sorted(schemes))
        raise validation_failed(
            [
                {
                    "field": f"body.{field}",
                    "code": "url_scheme",
                    "message": f"Must be an absolute {allowed} URL.",
                }
            ]
        )


def _reject_bare_uuids(raw: dict[str, Any]) -> None:
    named = [(name, raw.get(name)) for name in _ID_FIELDS]
    listed = raw.get("reference_canvas_ids")
    if isinstance(listed, list):
        named += [(f"reference_canvas_ids.{index}", item) for index, item in enumerate(listed)]
    for name, value in named:
        if is_bare_uuid(value):
            raise invalid_request(
                f"body.{name} must be a prefixed id (like cvs_...), not a bare UUID.",
                code="invalid_id_format",
                details={"field": f"body.{name}", "value": value},
            )


def _field(entry: Any) -> dict[str, str]:
    location = ".".join(str(part) for part in entry["loc"])
    return {
        "field": f"body.{location}" if location else "body",
        "code": str(entry["type"]),
        "message": str(entry["msg"]),
    }


def _canonical(value: Any) -> Any:
    """Raises ValueError (a 422) for a well-formed id holding more than 128 bits."""
    if not isinstance(value, str):
        return value
    return f"{value.split('_', 1)[0]}_{encode_uuid(uuid_from_prefixed(value))}"
