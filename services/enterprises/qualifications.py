"""Qualifications of an enterprise: granted, renewed (a new entry), revoked. Pure."""
from __future__ import annotations

from datetime import date, datetime

from services.enterprises.domain import Change, next_snapshot
from services.enterprises.rules import (
    FIXED_VALIDITY,
    HIGH_TECH,
    INNOVATION_MODEL,
    RENEWABLE,
    TECH_SME,
    day,
    default_valid_until,
    find,
    holding,
    next_qualification_id,
    not_after,
    registered_on,
    require_kind,
    required_reason,
)
from yinling.dates import add_years
from yinling.errors import Conflict, ValidationError, shown
from yinling.v1.enterprises_pb2 import (
    Enterprise,
    GrantQualificationRequest,
    RenewQualificationRequest,
    RevokeQualificationRequest,
)


def grant(current: Enterprise, request: GrantQualificationRequest, today: date, at: datetime) -> Change:
    kind = require_kind(request.kind)
    granted = day(request.granted_on, "granted_on")
    not_after(granted, today, "granted_on")
    if granted < registered_on(current):
        raise ValidationError("granted_on", f"{granted.isoformat()} is before the enterprise's "
                                            f"registration on {registered_on(current).isoformat()}")
    number = _number(kind, request.number)
    year = _year(kind, request.year, granted)
    valid_until = _valid_until(current, kind, granted, year, request.valid_until)
    _refuse_duplicate(current, kind, granted, year, number)
    new = next_snapshot(current, at)
    new.qualifications.add(id=next_qualification_id(current), kind=kind, number=number,
                           granted_on=granted.isoformat(), valid_until=valid_until.isoformat(), year=year)
    return Change(new, "qualification_granted")


def renew(current: Enterprise, request: RenewQualificationRequest, today: date, at: datetime) -> Change:
    """A renewal is a new certificate issued on renewed_on, on or before the old one's expiry
    (valid_until is exclusive, so renewing on that day leaves no gap and no overlap)."""
    old = find(current, request.qualification_id)
    if old.kind not in RENEWABLE:
        raise ValidationError("qualification_id", f"a {old.kind} is not renewed; grant a new one")
    if old.revoked_on:
        raise Conflict("qualification_id", f"{old.id} was revoked on {old.revoked_on}; grant a new one")
    successor = [q.id for q in current.qualifications
                 if q.kind == old.kind and q.granted_on > old.granted_on]
    if successor:
        raise Conflict("qualification_id", f"{old.id} was already renewed by {successor[0]}")
    renewed = day(request.renewed_on, "renewed_on")
    not_after(renewed, today, "renewed_on")
    if renewed <= date.fromisoformat(old.granted_on):
        raise ValidationError("renewed_on", f"{renewed.isoformat()} must be after {old.id} was granted "
                                            f"on {old.granted_on}")
    if renewed > date.fromisoformat(old.valid_until):
        raise ValidationError("renewed_on", f"{renewed.isoformat()} is after {old.id} expired on "
                                            f"{old.valid_until}; grant a new one instead")
    number = _number(old.kind, request.number)
    if number and number == old.number:
        raise ValidationError("number", f"the renewed certificate needs a new number, not {shown(number)}")
    new = next_snapshot(current, at)
    new.qualifications.add(id=next_qualification_id(current), kind=old.kind, number=number,
                           granted_on=renewed.isoformat(),
                           valid_until=add_years(renewed, 3).isoformat())
    return Change(new, "qualification_renewed")


def revoke(current: Enterprise, request: RevokeQualificationRequest, today: date, at: datetime) -> Change:
    target = find(current, request.qualification_id)
    if target.revoked_on:
        raise Conflict("qualification_id", f"{target.id} was already revoked on {target.revoked_on}")
    revoked = day(request.revoked_on, "revoked_on")
    not_after(revoked, today, "revoked_on")
    if not date.fromisoformat(target.granted_on) <= revoked < date.fromisoformat(target.valid_until):
        raise ValidationError("revoked_on", f"{revoked.isoformat()} is outside {target.id}'s validity "
                                            f"[{target.granted_on}, {target.valid_until})")
    reason = required_reason(request.reason)
    new = next_snapshot(current, at)
    find(new, target.id).revoked_on = revoked.isoformat()
    return Change(new, "qualification_revoked", reason)


def _number(kind: str, number: str) -> str:
    number = number.strip()
    if kind == HIGH_TECH and not number:
        raise ValidationError("number", "a high-tech certificate number is required (e.g. GR202344001234)")
    return number


def _year(kind: str, year: int, granted: date) -> int:
    if kind != TECH_SME:
        if year:
            raise ValidationError("year", f"applies to tech_sme only, not to a {kind}")
        return 0
    if year and year != granted.year:
        raise ValidationError("year", f"the {year} register cannot take an entry dated {granted.isoformat()}")
    return granted.year


def _valid_until(current: Enterprise, kind: str, granted: date, year: int, override: str) -> date:
    if kind == INNOVATION_MODEL:
        backing = holding(current, HIGH_TECH, granted)
        if not backing:
            raise Conflict("kind", f"innovation_model needs a valid high-tech certificate on "
                                   f"{granted.isoformat()}; the enterprise holds none")
        # The title rests on the certificate: by default it ends when the certificate does.
        default = max(date.fromisoformat(q.valid_until) for q in backing)
    else:
        default = default_valid_until(kind, granted, year)
    if not override:
        return default
    until = day(override, "valid_until")
    if kind in FIXED_VALIDITY and until != default:
        raise ValidationError("valid_until", f"a {kind} is valid until {default.isoformat()} by rule, "
                                             f"not {until.isoformat()}")
    if until <= granted:
        raise ValidationError("valid_until", f"{until.isoformat()} must be after granted_on {granted.isoformat()}")
    return until


def _refuse_duplicate(current: Enterprise, kind: str, granted: date, year: int, number: str) -> None:
    if number and any(q.kind == kind and q.number == number for q in current.qualifications):
        raise ValidationError("number", f"{kind} {shown(number)} is already recorded for this enterprise")
    if kind == TECH_SME and any(q.kind == kind and q.year == year and not q.revoked_on
                                for q in current.qualifications):
        raise Conflict("year", f"the enterprise is already on the {year} tech-SME register")
    held = holding(current, kind, granted)
    if held and kind != TECH_SME:
        hint = "; renew it instead" if kind in RENEWABLE else ""
        raise Conflict("kind", f"the enterprise holds {held[0].id} ({kind}) valid until "
                               f"{held[0].valid_until}{hint}")
