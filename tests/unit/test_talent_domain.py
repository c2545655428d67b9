"""Rules of the talent registry, without I/O."""
from __future__ import annotations

import pytest

from services.talent import domain
from services.talent.identity import check_character, person_subject, pseudonym
from yinling.credit_code import make_credit_code
from yinling.errors import Conflict, ValidationError
from yinling.v1.talent_pb2 import (
    CorrectTalentRequest,
    EndTalentRequest,
    RegisterTalentRequest,
    TalentPerson,
)

AT = "2024-03-01T00:00:00Z"
ENTERPRISE = make_credit_code("440703", 12345678)
LEADER = "44070319850101123" + check_character("44070319850101123")
OTHER = "44070419900505456" + check_character("44070419900505456")


def fake_pseudonym(subject: str) -> str:
    return pseudonym(subject, b"unit-test-key")


def person(**changes: object) -> TalentPerson:
    values: dict[str, object] = dict(name="李明", identity_number=LEADER, phone="13800138000",
                                     email="li.ming@example.cn")
    values.update(changes)
    return TalentPerson(**values)  # type: ignore[arg-type]


def request(**changes: object) -> RegisterTalentRequest:
    values: dict[str, object] = dict(category="phd_commissioner", district="440703",
                                     enterprise_credit_code=ENTERPRISE, recognised_on="2023-05-01",
                                     person=person())
    values.update(changes)
    return RegisterTalentRequest(**values)  # type: ignore[arg-type]


def registered(**changes: object) -> domain.Outcome:
    return domain.register(request(**changes), "tal-1", AT, fake_pseudonym)


def test_registered_commissioner_carries_the_pseudonym_of_the_person() -> None:
    out = registered()
    assert out.change == "registered" and out.record.version == 1
    assert out.record.subject_pseudonym == fake_pseudonym(person_subject(LEADER))
    assert out.record.enterprise_credit_code == ENTERPRISE


def test_record_carries_no_personal_value() -> None:
    blob = registered().record.SerializeToString()
    for value in ("李明", LEADER, "13800138000", "li.ming@example.cn"):
        assert value.encode() not in blob


@pytest.mark.parametrize("changes, field", [
    (dict(category="astronaut"), "category"),
    (dict(district="440100"), "district"),
    (dict(enterprise_credit_code=""), "enterprise_credit_code"),
    (dict(enterprise_credit_code="91440703123456780X"), "enterprise_credit_code"),
    (dict(recognised_on="2023-13-01"), "recognised_on"),
    (dict(person=person(name=" ")), "person.name"),
    (dict(person=person(identity_number=LEADER[:-1] + ("1" if LEADER[-1] != "1" else "2"))), "person.identity_number"),
    (dict(person=person(phone="call me")), "person.phone"),
    (dict(person=person(email="li.ming@")), "person.email"),
    (dict(person=person(member_names=["王五"])), "person.member_names"),
])
def test_bad_registration_is_refused_naming_the_field(changes: dict, field: str) -> None:
    with pytest.raises(ValidationError) as err:
        registered(**changes)
    assert err.value.field == field


def test_team_needs_no_enterprise_and_keeps_its_members() -> None:
    out = registered(category="scientist_team", enterprise_credit_code="",
                     person=person(name="光电团队", member_names=[" 王五 ", "赵六"]))
    assert list(out.person.member_names) == ["王五", "赵六"]
    assert out.record.subject_pseudonym != fake_pseudonym(person_subject(LEADER))


def test_end_before_recognition_is_refused() -> None:
    out = registered()
    with pytest.raises(ValidationError) as err:
        domain.end(out.record, out.person, EndTalentRequest(ended_on="2023-04-30"), AT)
    assert err.value.field == "ended_on"


def test_ending_twice_is_a_conflict() -> None:
    out = registered()
    ended = domain.end(out.record, out.person, EndTalentRequest(ended_on="2024-01-31"), AT)
    assert ended.record.ended_on == "2024-01-31" and ended.record.version == 2
    with pytest.raises(Conflict):
        domain.end(ended.record, ended.person, EndTalentRequest(ended_on="2024-02-01"), AT)


def test_correction_needs_a_reason() -> None:
    out = registered()
    with pytest.raises(ValidationError) as err:
        domain.correct(out.record, out.person, CorrectTalentRequest(field="district", value="440704"),
                       AT, fake_pseudonym)
    assert err.value.field == "reason"


def test_correction_of_an_unknown_field_is_refused() -> None:
    out = registered()
    with pytest.raises(ValidationError) as err:
        domain.correct(out.record, out.person,
                       CorrectTalentRequest(field="version", value="9", reason="typo"), AT,
                       fake_pseudonym)
    assert err.value.field == "field"


def test_corrected_identity_number_changes_the_pseudonym_and_names_only_the_field() -> None:
    out = registered()
    fixed = domain.correct(out.record, out.person,
                           CorrectTalentRequest(field="identity_number", value=OTHER,
                                                reason="digits swapped on the form"),
                           AT, fake_pseudonym)
    assert fixed.corrected_fields == ["person.identity_number"]
    assert fixed.person.identity_number == OTHER and fixed.record.version == 2
    assert fixed.record.subject_pseudonym == fake_pseudonym(person_subject(OTHER))


def test_reason_quoting_a_personal_value_is_refused() -> None:
    out = registered()
    with pytest.raises(ValidationError) as err:
        domain.correct(out.record, out.person,
                       CorrectTalentRequest(field="phone", value="13900139000",
                                            reason="13800138000 was disconnected"),
                       AT, fake_pseudonym)
    assert err.value.field == "reason"


def test_correction_to_the_same_value_is_refused() -> None:
    out = registered()
    with pytest.raises(ValidationError) as err:
        domain.correct(out.record, out.person,
                       CorrectTalentRequest(field="district", value="440703", reason="check"),
                       AT, fake_pseudonym)
    assert err.value.field == "value"
