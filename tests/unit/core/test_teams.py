from proxy.core.teams import team_id_from_organizations, team_id_from_whoami


def test_whoami_names_the_keys_team() -> None:
    assert team_id_from_whoami({"team": {"id": "team_A", "name": "x"}}) == "team_A"
    assert team_id_from_whoami({"team": None}) is None
    assert team_id_from_whoami([]) is None


def test_organizations_give_the_first_default_team() -> None:
    document = {
        "data": [
            {
                "id": "org_1",
                "teams": [
                    {"id": "team_X", "is_default": False},
                    {"id": "team_D", "is_default": True},
                ],
            },
            {"id": "org_2", "teams": [{"id": "team_Z", "is_default": True}]},
        ]
    }
    assert team_id_from_organizations(document) == "team_D"
    assert team_id_from_organizations({"data": [{"teams": "odd"}]}) is None
    assert team_id_from_organizations({"data": "odd"}) is None
