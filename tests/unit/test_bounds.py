"""The kernel's bounds (yinling.bounds): every field type has a limit, refusals name the field
and quote at most a short prefix; dates come out as YYYY-MM-DD (issue 7, findings 1, 3, 10)."""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yinling.bounds import (
    MAX_FEN,
    MAX_SHORT,
    amount_fen,
    bounded_decimal,
    check_request,
    clean_text,
    iso_date,
)
from yinling.errors import SHOWN, ValidationError
from yinling.v1 import enterprises_pb2 as ent
from yinling.v1 import finance_pb2 as fin
from yinling.v1 import platforms_pb2 as plat
from yinling.v1 import talent_pb2 as tal

TODAY = date(2024, 7, 1)


def refusal(call) -> ValidationError:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value


@pytest.mark.parametrize("name", ["\u200b", "\x00", "\ufeff\u200d", "\u0301", "\u202e\u00a0"])
def test_names_made_only_of_invisible_or_control_characters_are_refused(name):
    error = refusal(lambda: check_request(ent.RegisterEnterpriseRequest(name=name)))
    assert error.field == "name"


def test_a_name_of_spaces_alone_is_trimmed_to_nothing_for_the_required_check():
    request = ent.RegisterEnterpriseRequest(name=" \u3000 ")
    check_request(request)
    assert request.name == ""


def test_a_control_character_inside_a_name_is_refused_but_a_line_break_in_a_reason_is_text():
    assert refusal(lambda: check_request(plat.RegisterPlatformRequest(name="Lab\x07"))).field == "name"
    request = plat.RevokePlatformRequest(reason="merged\ninto another lab")
    check_request(request)
    assert request.reason == "merged\ninto another lab"


def test_an_oversized_name_is_refused_naming_the_field_and_quoting_a_short_prefix():
    error = refusal(lambda: check_request(ent.RegisterEnterpriseRequest(name="江" * 1_200_000)))
    assert error.field == "name"
    assert "1200000 characters" in error.reason and len(str(error)) < 100


def test_nested_and_repeated_fields_are_named_by_their_path():
    request = tal.RegisterTalentRequest(person=tal.TalentPerson(member_names=["张三", "x" * 400]))
    assert refusal(lambda: check_request(request)).field == "person.member_names[1]"
    many = tal.RegisterTalentRequest(person=tal.TalentPerson(member_names=["m"] * 101))
    assert refusal(lambda: check_request(many)).field == "person.member_names"


@pytest.mark.parametrize("text", ["9999-12-31", "0001-01-01", "1899-12-31"])
def test_implausible_dates_are_refused(text):
    error = refusal(lambda: check_request(plat.RegisterPlatformRequest(registered_on=text)))
    assert error.field == "registered_on" and "outside" in error.reason


def test_dates_of_past_events_may_not_lie_in_the_future_but_a_validity_end_may():
    assert "future" in refusal(lambda: iso_date("2024-07-02", "revoked_on", past=True, today=TODAY)).reason
    assert iso_date("2024-07-01", "revoked_on", past=True, today=TODAY) == TODAY
    request = ent.GrantQualificationRequest(valid_until="2090-01-01")
    check_request(request)
    assert request.valid_until == "2090-01-01"


@pytest.mark.parametrize("given_as", ["20230101", "2022-W52-7", "2023-01-01"])
def test_dates_are_stored_as_iso_dates_whatever_iso_form_they_came_in(given_as):
    request = fin.RecordFinanceRequest(granted_on=given_as)
    check_request(request)
    assert request.granted_on == "2023-01-01"


def test_amounts_in_fen_have_a_ceiling():
    assert amount_fen(MAX_FEN, "amount_fen") == MAX_FEN
    error = refusal(lambda: check_request(fin.RecordFinanceRequest(amount_fen=2**63 - 1)))
    assert error.field == "amount_fen"
    assert refusal(lambda: check_request(fin.RecordFinanceRequest(amount_fen=-1))).field == "amount_fen"


@pytest.mark.parametrize("text", ["1E+1000000", "1e16", "12345678901234567", "1.23456", "-1", "NaN"])
def test_decimals_out_of_bounds_are_refused_without_being_expanded(text):
    error = refusal(lambda: bounded_decimal(text, "value"))
    assert error.field == "value" and len(str(error)) < 150


def test_a_decimal_within_bounds_is_exact():
    assert str(bounded_decimal("1,234,567.8900", "value")) == "1234567.8900"


@given(st.text(max_size=MAX_SHORT * 2))
def test_any_text_is_either_clean_and_bounded_or_refused_with_a_short_message(text):
    try:
        cleaned = clean_text(text, "name", MAX_SHORT)
    except ValidationError as exc:
        assert exc.field == "name"
        assert len(exc.reason) <= SHOWN * 4 + 80
        return
    assert len(cleaned) <= MAX_SHORT
    assert cleaned == cleaned.strip()
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in cleaned)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
def test_every_plausible_date_round_trips_in_its_basic_and_extended_forms(day):
    assert iso_date(day.strftime("%Y%m%d"), "d") == day
    assert iso_date(day.isoformat(), "d") == day


@given(st.text(max_size=60))
def test_any_text_as_a_date_is_a_date_or_a_refusal_naming_the_field(text):
    try:
        day = iso_date(text, "granted_on")
    except ValidationError as exc:
        assert exc.field == "granted_on"
        return
    assert date(1900, 1, 1) <= day <= date(2100, 12, 31)


def test_a_list_of_messages_is_not_cut_at_100_but_each_message_is_checked_by_its_place():
    batch = ent.ListEnterprisesResponse(enterprises=[ent.Enterprise(name=f"企业{n}") for n in range(150)])
    check_request(batch)  # a batch of commands is bounded by the request size, not a count
    batch.enterprises[120].name = "\u200b"
    assert refusal(lambda: check_request(batch)).field == "enterprises[120].name"
