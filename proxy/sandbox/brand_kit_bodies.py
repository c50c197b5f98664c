"""Bodies of `POST /v1/brand-kits` from direct fields and of `PATCH /v1/brand-kits/{id}`.

Both refuse unknown fields (422 `extra_forbidden`), so `is_default`, which the server
manages, cannot be written. Colors and fonts come back in the read model's shape.
"""

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

HexColor = Annotated[str, Field(pattern=r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")]
ShortText = Annotated[str, Field(min_length=1, max_length=255)]
Words = Annotated[list[Annotated[str, Field(min_length=1, max_length=200)]], Field(max_length=50)]
FileId = Annotated[str, Field(pattern=r"^file_[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ColorEntry(_Strict):
    color: HexColor
    label: Annotated[str, Field(max_length=100)] | None = None


class FontEntry(_Strict):
    family: Annotated[str, Field(min_length=1, max_length=200)]
    label: Annotated[str, Field(max_length=100)] | None = None
    weight: Annotated[int, Field(ge=1, le=1000)] | None = None


class _KitFields(_Strict):
    """What a caller may write on a kit; arrays replace the kit's wholesale."""

    company_name: ShortText | None = None
    company_url: Annotated[str, Field(max_length=2048)] | None = None
    company_description: Annotated[str, Field(max_length=5000)] | None = None
    tagline: Annotated[str, Field(max_length=500)] | None = None
    brand_values: Words | None = None
    brand_aesthetic: Words | None = None
    brand_tone_of_voice: Words | None = None
    colors: Annotated[list[ColorEntry], Field(max_length=100)] | None = None
    fonts: Annotated[list[FontEntry], Field(max_length=20)] | None = None

    @field_validator(
        "title",
        "brand_values",
        "brand_aesthetic",
        "brand_tone_of_voice",
        "colors",
        "fonts",
        mode="before",
        check_fields=False,
    )
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        """Texts may be cleared with null; a title or a list may not (send [] to empty one)."""
        if value is None:
            raise ValueError("may not be null")
        return value


class BrandKitPatchBody(_KitFields):
    title: ShortText | None = None


class ManualBrandKitBody(_KitFields):
    name: ShortText
    logo_file_ids: Annotated[list[FileId], Field(max_length=20)] | None = None
    idempotency_key: Annotated[str, Field(min_length=1, max_length=255)] | None = None


def kit_fields(body: _KitFields) -> dict[str, Any]:
    """The fields the caller sent, in the read model's shape (a `title`, if sent, too)."""
    fields = body.model_dump(
        exclude_unset=True, exclude={"colors", "fonts", "name", "logo_file_ids", "idempotency_key"}
    )
    if body.colors is not None:
        fields["colors"] = [{"color": c.color, "label": c.label} for c in body.colors]
    if body.fonts is not None:
        # The sandbox knows every family, so none falls back (`supported` stays true).
        fields["fonts"] = [
            {"family": f.family, "label": f.label, "weight": f.weight, "supported": True}
            for f in body.fonts
        ]
    return fields
