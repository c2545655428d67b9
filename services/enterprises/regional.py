"""Regional statistics as the statistics bureau reports them: one figure per
territory/year/measure; reporting it again is a revision that replaces it. Pure."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from services.enterprises.rules import day, not_after, required_reason
from yinling.errors import ValidationError, shown
from yinling.territory import CITY, DISTRICTS
from yinling.v1.enterprises_pb2 import RegionalStatistic, ReportRegionalStatisticRequest

MEASURES = ("gdp", "rd_expenditure")
UNIT = "CNY_10K"
FIRST_YEAR = 1978  # the first year of the bureau's published series
# Exact decimals only: no sign, no exponent, at most four places (1 CNY in units of 10,000 CNY).
DECIMAL = re.compile(r"^(0|[1-9][0-9]{0,15})(\.[0-9]{1,4})?$")


@dataclass(frozen=True)
class Reported:
    statistic: RegionalStatistic
    change: str  # "reported" | "revised"
    reason: str = ""


def key_of(statistic: RegionalStatistic) -> str:
    return f"{statistic.territory}/{statistic.year}/{statistic.measure}"


def report(current: RegionalStatistic | None, request: ReportRegionalStatisticRequest,
           today: date) -> Reported | None:
    """The new figure, or None when it repeats the current one exactly (a re-sent batch)."""
    new = checked(request.statistic, today)
    if current is None:
        new.revision, new.version = 1, 1
        return Reported(new, "reported", request.reason.strip())
    new.revision, new.version = current.revision, current.version
    if new == current:
        return None
    if day(new.reported_on, "statistic.reported_on") < day(current.reported_on, "reported_on"):
        raise ValidationError("statistic.reported_on",
                              f"{new.reported_on} is before revision {current.revision} reported on "
                              f"{current.reported_on}")
    reason = required_reason(request.reason)
    new.revision, new.version = current.revision + 1, current.version + 1
    return Reported(new, "revised", reason)


def checked(given: RegionalStatistic, today: date) -> RegionalStatistic:
    territory = given.territory.strip()
    if territory != CITY and territory not in DISTRICTS:
        raise ValidationError("statistic.territory",
                              f"unknown territory {shown(territory)}; expected {CITY} or one of {sorted(DISTRICTS)}")
    if not FIRST_YEAR <= given.year < today.year:  # a year's figure exists only once it has ended
        raise ValidationError("statistic.year", f"{given.year} is outside {FIRST_YEAR}..{today.year - 1}")
    if given.measure not in MEASURES:
        raise ValidationError("statistic.measure", f"unknown measure {shown(given.measure)}; expected one of {list(MEASURES)}")
    value = given.value.strip()
    if not DECIMAL.match(value):
        raise ValidationError("statistic.value", f"{shown(value)} is not a non-negative decimal such as "
                                                 "'123456.78' (at most 4 decimal places)")
    unit = given.unit.strip() or UNIT
    if unit != UNIT:
        raise ValidationError("statistic.unit", f"{shown(unit)} is not accepted; figures are in {UNIT}")
    source = given.source.strip()
    if not source:
        raise ValidationError("statistic.source", "is required (e.g. the yearbook and table)")
    reported = day(given.reported_on, "statistic.reported_on")
    not_after(reported, today, "statistic.reported_on")
    if reported.year <= given.year:
        raise ValidationError("statistic.reported_on",
                              f"{reported.isoformat()} is before the end of {given.year}")
    return RegionalStatistic(territory=territory, year=given.year, measure=given.measure, value=value,
                             unit=unit, source=source, reported_on=reported.isoformat())
