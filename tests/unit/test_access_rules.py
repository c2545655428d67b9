"""Which districts a command touches, lifetimes, and the bootstrap token table as scopes."""
from __future__ import annotations

from datetime import timedelta

import pytest

from yinling.access import touched_districts
from yinling.auth import ENV_PREFIX, ROLE_SCOPES, SCOPES, parse_tokens
from yinling.errors import ValidationError
from yinling.tokens import parse_lifetime
from yinling.v1 import enterprises_pb2 as ent
from yinling.v1 import platforms_pb2 as plt

STORED = {"91440703MA0000000X": "440703", "plt-1": "440704"}


def lookup(_session, key: str) -> str | None:  # type: ignore[no-untyped-def]
    return STORED.get(key)


LOOKUPS = {"credit_code": lookup, "platform_id": lookup}


def test_a_move_touches_the_district_it_leaves_and_the_one_it_enters():
    move = ent.MoveEnterpriseRequest(credit_code="91440703MA0000000X", district="440705")
    assert touched_districts(move, LOOKUPS, object()) == {"440703", "440705"}  # type: ignore[arg-type]


def test_a_correction_of_the_district_touches_the_new_one_too():
    correct = plt.CorrectPlatformRequest(platform_id="plt-1", field="district", value="440781")
    assert touched_districts(correct, LOOKUPS, object()) == {"440704", "440781"}  # type: ignore[arg-type]
    renamed = plt.CorrectPlatformRequest(platform_id="plt-1", field="name", value="440781")
    assert touched_districts(renamed, LOOKUPS, object()) == {"440704"}  # type: ignore[arg-type]


def test_a_batch_touches_every_district_of_its_commands_and_unknown_records_none():
    batch = plt.ApplyPlatformCommandsRequest(commands=[
        plt.PlatformCommand(register=plt.RegisterPlatformRequest(district="440703")),
        plt.PlatformCommand(accredit=plt.AccreditPlatformRequest(platform_id="plt-1")),
        plt.PlatformCommand(accredit=plt.AccreditPlatformRequest(platform_id="plt-unknown"))])
    assert touched_districts(batch, LOOKUPS, object()) == {"440703", "440704"}  # type: ignore[arg-type]


def test_a_regional_statistic_touches_its_territory():
    statistic = ent.ReportRegionalStatisticRequest(statistic=ent.RegionalStatistic(territory="440700"))
    assert touched_districts(statistic, {}, None) == {"440700"}


@pytest.mark.parametrize(("text", "lifetime"), [("90d", timedelta(days=90)), ("12h", timedelta(hours=12)),
                                                ("30m", timedelta(minutes=30))])
def test_lifetimes(text, lifetime):
    assert parse_lifetime(text) == lifetime


@pytest.mark.parametrize("text", ["", "90", "d", "0d", "-1d", "1.5d", "2w", "5000d", "²d", "٣d"])
def test_bad_lifetimes_are_refused_naming_expires(text):
    with pytest.raises(ValidationError) as caught:
        parse_lifetime(text)
    assert caught.value.field == "expires"


def test_bootstrap_roles_become_scopes_and_none_turns_the_table_off():
    table = parse_tokens("a=steward@x:steward;b=officer@x:steward+personal_data")
    assert table["a"].scopes == ROLE_SCOPES["steward"] and not table["a"].may("talent:personal:read")
    assert table["b"].scopes == frozenset(SCOPES)
    assert table["a"].token_id == ENV_PREFIX + "steward@x" and table["a"].districts == frozenset()
    assert parse_tokens("none") == {}
    with pytest.raises(ValueError, match="unknown role 'admin'"):
        parse_tokens("c=someone:admin")
