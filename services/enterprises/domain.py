"""Commands on an enterprise record: each takes the current snapshot (or none) and returns the
new snapshot and the change name (past tense). Pure: the caller supplies today and the time."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from services.enterprises.rules import day, not_after, registered_on, required_reason, required_text
from yinling.bounds import check_as
from yinling.credit_code import validate_credit_code
from yinling.envelope import format_time
from yinling.errors import ValidationError, shown
from yinling.territory import require_district
from yinling.v1.enterprises_pb2 import (
    AnnualStatistics,
    CorrectEnterpriseRequest,
    DistrictPeriod,
    Enterprise,
    MoveEnterpriseRequest,
    RegisterEnterpriseRequest,
    ReportAnnualStatisticsRequest,
)

CORRECTABLE = ("name", "industry_cluster", "district")


@dataclass(frozen=True)
class Change:
    enterprise: Enterprise
    change: str
    reason: str = ""
    corrected_fields: list[str] = field(default_factory=list)


def register(request: RegisterEnterpriseRequest, today: date, at: datetime) -> Change:
    code = validate_credit_code(request.credit_code)
    since = day(request.registered_on, "registered_on")
    not_after(since, today, "registered_on")
    period = DistrictPeriod(district=require_district(request.district))
    setattr(period, "from", since.isoformat())  # "from" is a Python keyword
    new = Enterprise(credit_code=code, name=required_text(request.name, "name"),
                     district=request.district,
                     industry_cluster=required_text(request.industry_cluster, "industry_cluster"),
                     district_history=[period], version=1, updated_at=format_time(at))
    return Change(new, "registered")


def move(current: Enterprise, request: MoveEnterpriseRequest, today: date, at: datetime) -> Change:
    target = require_district(request.district)
    if target == current.district:
        raise ValidationError("district", f"the enterprise is already in {target}")
    moved = day(request.moved_on, "moved_on")
    not_after(moved, today, "moved_on")
    last = current.district_history[-1]
    if moved <= date.fromisoformat(getattr(last, "from")):
        raise ValidationError("moved_on", f"{moved.isoformat()} must be after the enterprise came to "
                                          f"{last.district} on {getattr(last, 'from')}")
    new = next_snapshot(current, at)
    new.district_history[-1].until = moved.isoformat()
    period = new.district_history.add(district=target)
    setattr(period, "from", moved.isoformat())
    new.district = target
    return Change(new, "moved", request.reason.strip())


def correct(current: Enterprise, request: CorrectEnterpriseRequest, at: datetime) -> Change:
    if request.field not in CORRECTABLE:
        raise ValidationError("field", f"{shown(request.field)} cannot be corrected; one of {list(CORRECTABLE)}")
    reason = required_reason(request.reason)
    new = next_snapshot(current, at)
    if request.field == "district":
        _correct_registration_district(new, request.value)
    else:
        value = required_text(check_as(request.field, request.value), "value")
        if getattr(current, request.field) == value:
            raise ValidationError("value", f"{request.field} already is {shown(value)}; nothing to correct")
        setattr(new, request.field, value)
    return Change(new, "corrected", reason, [request.field])


def _correct_registration_district(new: Enterprise, value: str) -> None:
    """The district recorded at registration was wrong: fix the first period (and the
    current district when the enterprise never moved); later moves stay as recorded."""
    target = require_district(value, "value")
    first = new.district_history[0]
    if first.district == target:
        raise ValidationError("value", f"district at registration already is {target}; nothing to correct")
    if len(new.district_history) > 1 and new.district_history[1].district == target:
        raise ValidationError("value", f"the enterprise moved to {target} on "
                                       f"{getattr(new.district_history[1], 'from')}; it cannot start there")
    first.district = target
    if len(new.district_history) == 1:
        new.district = target


def report_statistics(current: Enterprise, request: ReportAnnualStatisticsRequest, today: date,
                      at: datetime) -> Change:
    """One row per year; reporting a year again replaces it (a revision, with a reason)."""
    stats = request.statistics
    check_statistics(stats, registered_on(current).year, today.year)
    new = next_snapshot(current, at)
    rows = {s.year: s for s in new.statistics}
    revising = stats.year in rows
    reason = required_reason(request.reason) if revising else request.reason.strip()
    if revising and rows[stats.year] == stats:
        raise ValidationError("statistics", f"year {stats.year} already has these figures; nothing to revise")
    rows[stats.year] = stats
    del new.statistics[:]
    new.statistics.extend(rows[y] for y in sorted(rows))
    return Change(new, "statistics_revised" if revising else "statistics_reported", reason)


def check_statistics(stats: AnnualStatistics, first_year: int, this_year: int) -> None:
    # R&D expenditure may exceed revenue: pre-revenue start-ups (biotech, new materials) live on
    # investment and grants and spend more on R&D than they earn; the bureau accepts such returns.
    if not first_year <= stats.year <= this_year:
        raise ValidationError("statistics.year", f"{stats.year} is outside {first_year}..{this_year} "
                                                 "(registration year to this year)")
    for name in ("revenue_fen", "rd_expenditure_fen", "employees", "rd_staff"):
        if getattr(stats, name) < 0:
            raise ValidationError(f"statistics.{name}", f"must not be negative, got {getattr(stats, name)}")
    if stats.rd_staff > stats.employees:
        raise ValidationError("statistics.rd_staff",
                              f"{stats.rd_staff} R&D staff exceed the {stats.employees} employees")


def next_snapshot(current: Enterprise, at: datetime) -> Enterprise:
    new = Enterprise()
    new.CopyFrom(current)
    new.version = current.version + 1
    new.updated_at = format_time(at)
    return new
