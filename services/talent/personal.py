"""Validation of the personal part of a talent record (TalentPerson), and the guard that keeps
its values out of free text that leaves the service (reasons travel in events)."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from services.talent.identity import person_subject, team_subject, validate_identity_number
from yinling.errors import ValidationError
from yinling.personal_data import personal_data_in
from yinling.v1.talent_pb2 import TalentPerson

MAX_NAME = 200
_PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]{5,24}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_MEMBER_SPLIT = re.compile(r"[\n,，、;；]")


def _clean(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split())


def validate_person(person: TalentPerson, is_team: bool) -> TalentPerson:
    """Return a normalised copy, or raise naming the first bad field."""
    name = _clean(person.name)
    if not name:
        raise ValidationError("person.name", "is required (for a team: the team's name)")
    if len(name) > MAX_NAME:
        raise ValidationError("person.name", f"is longer than {MAX_NAME} characters")
    number = validate_identity_number(person.identity_number)
    phone = _clean(person.phone)
    if phone and (not _PHONE.match(phone) or not 7 <= sum(c.isdigit() for c in phone) <= 15):
        raise ValidationError("person.phone", "is not a telephone number (7 to 15 digits)")
    email = _clean(person.email)
    if email and (len(email) > 254 or not _EMAIL.match(email)):
        raise ValidationError("person.email", "is not an e-mail address")
    members = [_clean(m) for m in person.member_names]
    if members and not is_team:
        raise ValidationError("person.member_names", "only teams have members")
    if any(not m or len(m) > MAX_NAME for m in members):
        raise ValidationError("person.member_names", "each member needs a name of at most "
                                                     f"{MAX_NAME} characters")
    return TalentPerson(name=name, identity_number=number, phone=phone, email=email,
                        member_names=members)


def split_members(value: str) -> list[str]:
    return [m for m in (_clean(p) for p in _MEMBER_SPLIT.split(value)) if m]


def subject_of(person: TalentPerson, is_team: bool) -> str:
    """What the pseudonym is made from: the person, or the team's registration identity."""
    if is_team:
        return team_subject(person.identity_number, person.name)
    return person_subject(person.identity_number)


def personal_values(persons: Iterable[TalentPerson]) -> set[str]:
    values: set[str] = set()
    for p in persons:
        values.update((p.name, p.identity_number, p.phone, p.email, *p.member_names))
    return {v for v in values if len(v) >= 2}


def require_no_personal_data(text: str, persons: Iterable[TalentPerson], field: str) -> None:
    """Refuse free text holding the persons' own values or anything shaped like an identity
    number, a telephone number or an e-mail address, however spaced (yinling.personal_data)."""
    found = personal_data_in(text, personal_values(persons))
    if found:
        raise ValidationError(field, f"must not contain personal data (found: {', '.join(found)}); "
                                     "say why without naming or contacting anyone")
