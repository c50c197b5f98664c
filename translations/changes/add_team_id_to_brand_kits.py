"""Brand kits carry `team_id`, the id of the team the API key belongs to (the canonical response
leaves it implicit in the key).

Derived: `team_id`, always: the proxy looks it up once per API key."""

from typing import Final

from proxy.core.derived import DerivedField, in_each_item
from proxy.core.messages import learned
from proxy.core.payload import JSONObject, each_item
from proxy.core.teams import TeamIdLookup
from proxy.core.versioning import MigrationContext, VersionChange
from translations.common import GET_BRAND_KIT, LIST_BRAND_KITS


def add_team_id(brand_kit: JSONObject, context: MigrationContext) -> JSONObject:
    brand_kit["team_id"] = learned(context.facts.team_id, "team_id")
    return brand_kit


def looked_up(brand_kit: JSONObject, context: MigrationContext) -> bool:
    return True


_DERIVED: Final = (DerivedField("team_id", looked_up),)

CHANGE = VersionChange(
    name=__name__,
    summary=__doc__,
    responses={LIST_BRAND_KITS: each_item(add_team_id), GET_BRAND_KIT: add_team_id},
    derived={LIST_BRAND_KITS: in_each_item(_DERIVED), GET_BRAND_KIT: _DERIVED},
    emulations=(TeamIdLookup(LIST_BRAND_KITS), TeamIdLookup(GET_BRAND_KIT)),
)
