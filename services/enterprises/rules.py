"""Qualification kinds, their validity rules, and small checks shared by the commands. Pure."""
from __future__ import annotations

from datetime import date

from yinling.dates import add_years, parse_date
from yinling.errors import ValidationError, shown
from yinling.v1.enterprises_pb2 import Enterprise, Qualification

HIGH_TECH = "high_tech_enterprise"
TECH_SME = "tech_sme"
SPECIALISED_SME = "provincial_specialised_sme"
LITTLE_GIANT = "little_giant"
INNOVATION_MODEL = "innovation_model"
KINDS = (HIGH_TECH, TECH_SME, SPECIALISED_SME, LITTLE_GIANT, INNOVATION_MODEL)
# Kinds recognised for three years and re-assessed at the end: renewal issues a new entry.
RENEWABLE = (HIGH_TECH, SPECIALISED_SME, LITTLE_GIANT)
# Kinds whose validity the rules fix; an override of valid_until is refused for them.
FIXED_VALIDITY = (HIGH_TECH, TECH_SME)


def require_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValidationError("kind", f"unknown qualification kind {shown(kind)}; expected one of {list(KINDS)}")
    return kind


def required_text(value: str, field: str) -> str:
    text = value.strip()
    if not text:
        raise ValidationError(field, "is required")
    return text


def required_reason(reason: str) -> str:
    if not reason.strip():
        raise ValidationError("reason", "is required: say why, for the record's history")
    return reason.strip()


def day(text: str, field: str) -> date:
    parsed = parse_date(text, field)
    assert parsed is not None  # required=True never returns None
    return parsed


def registered_on(enterprise: Enterprise) -> date:
    """The registration date is where the district history starts."""
    return date.fromisoformat(getattr(enterprise.district_history[0], "from"))


def default_valid_until(kind: str, granted: date, year: int) -> date:
    """Exclusive end of validity by the kind's rules (innovation_model: see qualifications.grant)."""
    if kind == TECH_SME:
        return date(year + 1, 1, 1)  # the register of year Y counts until 1 January of Y+1
    return add_years(granted, 3)


def counts_on(q: Qualification, on: date) -> bool:
    """The rule of the contract: granted_on <= D < valid_until and not yet revoked on D."""
    if not (date.fromisoformat(q.granted_on) <= on < date.fromisoformat(q.valid_until)):
        return False
    return not q.revoked_on or on < date.fromisoformat(q.revoked_on)


def holding(enterprise: Enterprise, kind: str, on: date) -> list[Qualification]:
    return [q for q in enterprise.qualifications if q.kind == kind and counts_on(q, on)]


def find(enterprise: Enterprise, qualification_id: str) -> Qualification:
    for q in enterprise.qualifications:
        if q.id == qualification_id:
            return q
    known = [q.id for q in enterprise.qualifications]
    raise ValidationError("qualification_id",
                          f"{shown(qualification_id)} is not a qualification of this enterprise; known: {known}")


def next_qualification_id(enterprise: Enterprise) -> str:
    # Entries are never deleted, so the count gives a stable, unique id per enterprise.
    return f"q{len(enterprise.qualifications) + 1}"


def not_after(moment: date, today: date, field: str) -> None:
    if moment > today:
        raise ValidationError(field, f"{moment.isoformat()} is in the future (today is {today.isoformat()})")
