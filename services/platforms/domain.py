"""The platform lifecycle as pure functions: snapshot in, (new snapshot, change name) out.

register -> accredit -> evaluate yearly / change level -> revoke -> accredit again.
Every function validates first and copies the snapshot, so a refused command leaves nothing.
"""
from __future__ import annotations

from datetime import date

from services.platforms.kinds import require_kind, require_level_for
from services.platforms.record import (
    clean_credit_code,
    require_reason,
    require_text,
    validate_record,
)
from yinling.dates import iso, parse_date, require_order
from yinling.errors import Conflict, ValidationError, shown
from yinling.v1.platforms_pb2 import (
    AccreditationPeriod,
    Evaluation,
    Platform,
    PlatformLevel,
    PlatformStatus,
    RegisterPlatformRequest,
)

UNDER_CONSTRUCTION = PlatformStatus.PLATFORM_STATUS_UNDER_CONSTRUCTION
ACCREDITED = PlatformStatus.PLATFORM_STATUS_ACCREDITED
REVOKED = PlatformStatus.PLATFORM_STATUS_REVOKED
GRADES = ("excellent", "good", "pass", "fail")
FIRST_YEAR, LAST_YEAR = 1949, 2100


def _from(period: AccreditationPeriod) -> date:
    day = parse_date(getattr(period, "from"), "from")
    assert day is not None
    return day


def next_version(p: Platform, now: str) -> Platform:
    new = Platform()
    new.CopyFrom(p)
    new.version = p.version + 1
    new.updated_at = now
    return new


def register(cmd: RegisterPlatformRequest, platform_id: str, now: str) -> tuple[Platform, str]:
    require_kind(cmd.kind)
    p = Platform(
        id=platform_id, name=require_text(cmd.name, "name"), kind=cmd.kind,
        status=UNDER_CONSTRUCTION,
        host_organisation=require_text(cmd.host_organisation, "host_organisation"),
        host_credit_code=clean_credit_code(cmd.host_credit_code), district=cmd.district,
        industry_cluster=require_text(cmd.industry_cluster, "industry_cluster", required=False),
        registered_on=iso(parse_date(cmd.registered_on, "registered_on")),
        version=1, updated_at=now,
    )
    validate_record(p)
    return p, "registered"


def accredit(p: Platform, level: PlatformLevel, accredited_on: str, now: str) -> tuple[Platform, str]:
    if p.status == ACCREDITED:
        raise Conflict("status", "the platform is already accredited; change its level instead")
    require_level_for(require_kind(p.kind), level)
    day = parse_date(accredited_on, "accredited_on")
    assert day is not None
    registered = parse_date(p.registered_on, "registered_on")
    assert registered is not None
    require_order(registered, day, "registered_on", "accredited_on")
    if p.periods:  # accredited again after a revocation
        last_end = parse_date(p.periods[-1].until, "until")
        assert last_end is not None
        require_order(last_end, day, "the end of the last accreditation", "accredited_on")
    new = next_version(p, now)
    new.status, new.level = ACCREDITED, level
    new.periods.append(AccreditationPeriod(level=level, **{"from": iso(day)}))
    return new, "accredited"


def evaluate(p: Platform, year: int, grade: str, evaluated_on: str, now: str) -> tuple[Platform, str]:
    if grade not in GRADES:
        raise ValidationError("grade", f"{shown(grade)} is not one of {', '.join(GRADES)}")
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationError("year", f"{year} is not a plausible year")
    day = parse_date(evaluated_on, "evaluated_on")
    assert day is not None
    if p.status != ACCREDITED:
        raise Conflict("status", "only an accredited platform is evaluated")
    first = _from(p.periods[0])
    if year < first.year:
        raise ValidationError("year", f"{year} is before the accreditation on {first.isoformat()}")
    require_order(first, day, "accredited_on", "evaluated_on")
    if day.year < year:
        raise ValidationError("evaluated_on", f"{day.isoformat()} is before the year {year} began")
    if any(e.year == year for e in p.evaluations):
        raise Conflict("year", f"the platform was already evaluated for {year}")
    new = next_version(p, now)
    new.evaluations.append(Evaluation(year=year, grade=grade, evaluated_on=day.isoformat()))
    return new, "evaluated"


def change_level(p: Platform, level: PlatformLevel, effective_on: str, reason: str,
                 now: str) -> tuple[Platform, str]:
    require_reason(reason)
    if p.status != ACCREDITED:
        raise Conflict("status", "only an accredited platform changes level")
    require_level_for(require_kind(p.kind), level)
    if level == p.level:
        raise ValidationError("level", "is the platform's current level")
    day = parse_date(effective_on, "effective_on")
    assert day is not None
    opened = _from(p.periods[-1])
    if day <= opened:
        raise ValidationError("effective_on",
                              f"{day.isoformat()} is not after the current period's start {opened}")
    new = next_version(p, now)
    new.periods[-1].until = day.isoformat()
    new.periods.append(AccreditationPeriod(level=level, **{"from": day.isoformat()}))
    new.level = level
    # Enum order runs national(1) < provincial(2) < municipal(3): a smaller number ranks higher.
    return new, "upgraded" if level < p.level else "downgraded"


def revoke(p: Platform, revoked_on: str, reason: str, now: str) -> tuple[Platform, str]:
    require_reason(reason)
    if p.status != ACCREDITED:
        raise Conflict("status", "only an accredited platform can be revoked")
    day = parse_date(revoked_on, "revoked_on")
    assert day is not None
    require_order(_from(p.periods[-1]), day, "the current period's start", "revoked_on")
    new = next_version(p, now)
    new.periods[-1].until = day.isoformat()
    new.status = REVOKED  # the level stays: it says what the platform was when revoked
    return new, "revoked"

