"""config.yml `districts:`: one deployment for several districts; without it, one implicit district."""

from __future__ import annotations

import pytest

from bot.config import IMPLICIT_DISTRICT, ConfigError, load_config
from tests.districts.conftest import EXAMPLE, NORD_AUTHORITY_GROUP, network_raw, write_config


def test_the_example_network_is_valid_and_each_district_has_its_people():
    config = load_config(EXAMPLE, environ={})
    assert config.district_ids == ("nordheide", "hafenberg", "talwald")
    assert "Hafenberg" in config.district("hafenberg").contacts.placeholders("de")["authority"]
    assert "Talwald" in config.district("talwald").contacts.placeholders("en")["coordinator"]
    # every team of the network is a ticket team under "<district>/<team>"
    assert set(config.tickets.teams) == {f"{d}/{t}" for d in config.district_ids for t in ("authority", "coordinator")}
    assert config.team_key("hafenberg", "authority") == "hafenberg/authority"
    assert config.district_of_team("talwald/coordinator") == "talwald"
    assert config.teams_in_district("nordheide") == ("nordheide/authority", "nordheide/coordinator")
    assert config.district_by_code(" Nordheide ") == "nordheide" and config.district_by_code("hafen") is None
    assert config.district("hafenberg").office_hours.days == ("mon", "tue", "wed", "thu")


def test_a_config_without_districts_is_one_implicit_district(config):
    assert config.districts == {} and config.district_ids == (IMPLICIT_DISTRICT,)
    assert config.district(None).contacts == config.contacts
    assert config.district("anything").teams == config.tickets.teams
    assert config.team_key(None, "authority") == "authority" and set(config.tickets.teams) == {
        "authority",
        "coordinator",
    }
    assert config.teams_in_district(IMPLICIT_DISTRICT) == tuple(config.tickets.teams)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (
            lambda r: r["districts"]["hafenberg"]["contacts"].pop("authority"),
            r"districts\.hafenberg\.contacts\.authority",
        ),
        (
            lambda r: r["districts"]["talwald"]["teams"]["authority"].update(telegram_group=5),
            r"districts\.talwald\.teams\.authority\.telegram_group: .*negative",
        ),
        (
            lambda r: r["districts"]["nordheide"]["teams"].pop("coordinator"),
            r"districts\.nordheide\.teams: .*coordinator",
        ),
        (
            lambda r: r["districts"]["hafenberg"]["teams"]["authority"].update(telegram_group=NORD_AUTHORITY_GROUP),
            r"nordheide/authority, hafenberg/authority share the telegram_group",
        ),
        (lambda r: r["districts"]["talwald"].update(code="nordheide"), r"districts\.talwald\.code: 'nordheide'"),
        (lambda r: r["districts"].update(Bad_Id=r["districts"]["talwald"]), r"districts\.Bad_Id: an id is"),
        (lambda r: r["districts"]["talwald"].update(nmae="x"), r"districts\.talwald\.nmae: unknown key; did you mean"),
        (
            lambda r: r.update(tickets={"teams": network_raw()["districts"]["talwald"]["teams"]}),
            r"tickets\.teams: with districts:",
        ),
        (lambda r: r.update(links={"whatsapp_number": "+49 123"}), r"links\.whatsapp_number"),
    ],
)
def test_an_error_names_the_district_and_the_key(tmp_path, change, named):
    raw = network_raw()
    change(raw)
    with pytest.raises(ConfigError, match=named):
        load_config(write_config(tmp_path, raw), environ={})
