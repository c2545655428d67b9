"""Pure rules of the talent registry: commands against the current snapshot, no I/O.

A record is a TalentRecord (pseudonymous, published) plus a TalentPerson (personal, kept in
the service). Every command returns both after the change, the change name and the fields
it touched; the subject pseudonym is always recomputed from the person."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from services.talent.personal import (
    require_no_personal_data,
    split_members,
    subject_of,
    validate_person,
)
from yinling.bounds import check_as
from yinling.credit_code import validate_credit_code
from yinling.dates import parse_date, require_order
from yinling.errors import Conflict, ValidationError, shown
from yinling.territory import require_district
from yinling.v1.talent_pb2 import (
    CorrectTalentRequest,
    EndTalentRequest,
    RegisterTalentRequest,
    TalentPerson,
    TalentRecord,
)

TEAMS = frozenset({"innovation_team", "entrepreneurship_team", "scientist_team"})
INDIVIDUALS = frozenset({"leading_talent", "young_talent", "high_level_talent"})
COMMISSIONER = "phd_commissioner"
CATEGORIES = TEAMS | INDIVIDUALS | {COMMISSIONER}

RECORD_FIELDS = ("category", "district", "enterprise_credit_code", "recognised_on", "ended_on")
PERSON_FIELDS = ("name", "identity_number", "phone", "email", "member_names")

Pseudonymise = Callable[[str], str]


@dataclass(frozen=True)
class Outcome:
    record: TalentRecord
    person: TalentPerson
    change: str
    corrected_fields: list[str] = field(default_factory=list)


def _checked(record: TalentRecord, person: TalentPerson, pseudonymise: Pseudonymise
             ) -> tuple[TalentRecord, TalentPerson]:
    """Validate the whole record; return normalised copies with the pseudonym set."""
    if record.category not in CATEGORIES:
        raise ValidationError("category", f"unknown category {shown(record.category)}; expected one "
                                          f"of {sorted(CATEGORIES)}")
    require_district(record.district)
    if record.enterprise_credit_code or record.category == COMMISSIONER:
        record.enterprise_credit_code = validate_credit_code(record.enterprise_credit_code,
                                                             "enterprise_credit_code")
    start = parse_date(record.recognised_on, "recognised_on")
    end = parse_date(record.ended_on, "ended_on", required=False)
    if start and end:
        require_order(start, end, "recognised_on", "ended_on")
    is_team = record.category in TEAMS
    clean = validate_person(person, is_team)
    record.subject_pseudonym = pseudonymise(subject_of(clean, is_team))
    return record, clean


def register(cmd: RegisterTalentRequest, record_id: str, at: str,
             pseudonymise: Pseudonymise) -> Outcome:
    record = TalentRecord(id=record_id, category=cmd.category.strip(), district=cmd.district.strip(),
                          enterprise_credit_code=cmd.enterprise_credit_code,
                          recognised_on=cmd.recognised_on.strip(), version=1, updated_at=at)
    record, person = _checked(record, cmd.person, pseudonymise)
    return Outcome(record, person, "registered")


def end(current: TalentRecord, person: TalentPerson, cmd: EndTalentRequest, at: str) -> Outcome:
    if current.ended_on:
        raise Conflict("ended_on", f"the record already ended on {current.ended_on}")
    ended = parse_date(cmd.ended_on.strip(), "ended_on")
    start = parse_date(current.recognised_on, "recognised_on")
    assert ended and start
    require_order(start, ended, "recognised_on", "ended_on")
    require_no_personal_data(cmd.reason, [person], "reason")
    record = TalentRecord()
    record.CopyFrom(current)
    record.ended_on, record.version, record.updated_at = ended.isoformat(), current.version + 1, at
    return Outcome(record, person, "ended")


def field_name(raw: str) -> str:
    name = raw.strip()
    bare = name.removeprefix("person.")
    if bare in PERSON_FIELDS:
        return "person." + bare
    if name in RECORD_FIELDS:
        return name
    raise ValidationError("field", f"{shown(raw)} cannot be corrected; expected one of "
                                   f"{list(RECORD_FIELDS) + ['person.' + f for f in PERSON_FIELDS]}")


def correct(current: TalentRecord, person: TalentPerson, cmd: CorrectTalentRequest, at: str,
            pseudonymise: Pseudonymise) -> Outcome:
    name = field_name(cmd.field)
    if not cmd.reason.strip():
        raise ValidationError("reason", "is required for a correction")
    record, new_person = TalentRecord(), TalentPerson()
    record.CopyFrom(current)
    new_person.CopyFrom(person)
    value = check_as(name.removeprefix("person."), cmd.value)
    if name == "ended_on" and not current.ended_on:
        raise Conflict("ended_on", "the record has not ended; use End")
    if name == "person.member_names":
        del new_person.member_names[:]
        new_person.member_names.extend(split_members(value))
    elif name.startswith("person."):
        setattr(new_person, name.removeprefix("person."), value)
    else:
        setattr(record, name, value)
    record, new_person = _checked(record, new_person, pseudonymise)
    if record == current and new_person == person:
        raise ValidationError("value", f"{name} already has this value")
    require_no_personal_data(cmd.reason, [person, new_person], "reason")
    record.version, record.updated_at = current.version + 1, at
    return Outcome(record, new_person, "corrected", [name])
