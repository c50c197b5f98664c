import pytest

from proxy.core.messages import MigrationFacts
from proxy.core.payload import each_item
from proxy.core.versioning import MigrationContext
from translations.changes.add_team_id_to_brand_kits import CHANGE, add_team_id
from translations.common import GET_BRAND_KIT, LIST_BRAND_KITS

CONTEXT = MigrationContext(facts=MigrationFacts(team_id="team_1WHG24DYJV96AVVEESRV54392Y"))


def test_each_brand_kit_gets_the_callers_team() -> None:
    page = each_item(add_team_id)({"data": [{"id": "bk_1"}, {"id": "bk_2"}]}, CONTEXT)
    assert [kit["team_id"] for kit in page["data"]] == ["team_1WHG24DYJV96AVVEESRV54392Y"] * 2


def test_a_single_brand_kit_gets_it_too() -> None:
    assert add_team_id({"id": "bk_1"}, CONTEXT) == {
        "id": "bk_1",
        "team_id": "team_1WHG24DYJV96AVVEESRV54392Y",
    }


def test_without_a_looked_up_team_the_change_refuses_rather_than_invents() -> None:
    with pytest.raises(KeyError):
        add_team_id({"id": "bk_1"}, MigrationContext())


def test_team_id_is_named_derived_for_a_kit_and_for_a_page_with_kits_only() -> None:
    derived = CHANGE.derived
    assert [field.name for field in derived[GET_BRAND_KIT]] == ["team_id"]
    assert derived[GET_BRAND_KIT][0].when({"id": "bk_1"}, CONTEXT) is True
    on_page = derived[LIST_BRAND_KITS][0]
    assert on_page.when({"data": [{"id": "bk_1"}]}, CONTEXT) is True
    assert on_page.when({"data": []}, CONTEXT) is False
    assert on_page.when({"data": None}, CONTEXT) is False
