"""The value of one plan indicator at a date, for every territory of the plan, from facts.

Pure Python, no I/O: the engine loads facts, this module decides what counts (as the
plan's data says) and where (the enterprise's district on that day when known).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from services.indicators.disclosure import suppress
from services.indicators.facts import DistrictPeriod, Fact
from services.indicators.measured import Measured, quantize
from yinling.plan import Indicator, Plan
from yinling.territory import CITY, DISTRICTS

Timelines = Mapping[str, Sequence[DistrictPeriod]]


__all__ = ["Measured", "Timelines", "measure_days", "quantize"]


def district_at(fact: Fact, day: date, timelines: Timelines) -> str:
    """Where the fact's enterprise was registered on `day`; otherwise the fact's own place."""
    for period in timelines.get(fact.enterprise_credit_code, ()) if fact.enterprise_credit_code else ():
        if period.valid_from <= day and (period.valid_until is None or day < period.valid_until):
            return period.district
    return fact.district


def _alive(fact: Fact, day: date) -> bool:
    return fact.cancelled_on is None or day < fact.cancelled_on


def in_window(indicator: Indicator, plan_start: date, fact: Fact, day: date) -> bool:
    window = indicator.window
    if window == "cumulative":  # brought in during the plan; leaving later does not undo it
        return plan_start <= fact.valid_from <= day and _alive(fact, day)
    held = fact.valid_from <= day and (fact.valid_until is None or day < fact.valid_until)
    if window == "year":
        held = held and fact.attributes.get("year", str(day.year)) == str(day.year)
    return held and _alive(fact, day)


def _holds(index: Mapping[str, list[Fact]], credit_code: str, day: date) -> bool:
    return any(q.valid_from <= day and (q.valid_until is None or day < q.valid_until)
               for q in index.get(credit_code, ()))


@dataclass(frozen=True)
class Candidates:
    """Facts that pass the plan's day-independent filters, and the qualifications they may need."""
    facts: list[Fact]
    qualifications: Mapping[str, list[Fact]]


def candidates(indicator: Indicator, facts: Iterable[Fact]) -> Candidates:
    counts = indicator.counts
    required = counts.requires_qualification
    chosen: list[Fact] = []
    index: dict[str, list[Fact]] = defaultdict(list)
    for f in facts:
        if required and f.source == "qualification" and f.kind == required.kind:
            index[f.enterprise_credit_code].append(f)
        if f.source == counts.source and all(w.accepts(f.attributes.get(w.attribute, ""))
                                             for w in counts.where):
            chosen.append(f)
    return Candidates(chosen, index)


def matching(plan: Plan, indicator: Indicator, found: Candidates, day: date) -> list[Fact]:
    required = indicator.counts.requires_qualification
    return [f for f in found.facts if in_window(indicator, plan.period.start, f, day) and (
        not required or _holds(found.qualifications, f.enterprise_credit_code,
                               f.valid_from if required.at == "valid_from" else day))]


def measure_days(plan: Plan, indicator: Indicator, facts: Iterable[Fact], timelines: Timelines,
                 days: Iterable[date]) -> dict[date, dict[str, Measured]]:
    """Measured values for every territory of the plan on each of `days`."""
    facts = list(facts)
    if indicator.kind == "ratio":
        return {day: _ratio_all(plan, indicator, facts, day) for day in days}
    found = candidates(indicator, facts)
    return {day: _place(plan, indicator, found, timelines, day) for day in days}


def measure_all(plan: Plan, indicator: Indicator, facts: Iterable[Fact], timelines: Timelines,
                day: date) -> dict[str, Measured]:
    return measure_days(plan, indicator, facts, timelines, [day])[day]


def place_day(indicator: Indicator, fact: Fact, day: date) -> date:
    """The day whose district a fact counts in: a flow (cumulative window) stays where it
    happened (在地统计); a stock follows its enterprise to the district of the day asked."""
    return fact.valid_from if indicator.window == "cumulative" else day


def _place(plan: Plan, indicator: Indicator, found: Candidates, timelines: Timelines,
           day: date) -> dict[str, Measured]:
    placed = [(district_at(f, place_day(indicator, f, day), timelines), f)
              for f in matching(plan, indicator, found, day)]
    if indicator.kind == "coverage":
        covered = {d for d, _ in placed if d in DISTRICTS}
        return {t: Measured(Decimal(len(covered) if t == CITY else int(t in covered)))
                for t in plan.territories}
    by_district: dict[str, list[Fact]] = defaultdict(list)
    for d, f in placed:
        by_district[d].append(f)
    cells = {}
    for t in plan.territories:
        mine = [f for _, f in placed] if t == CITY else by_district[t]
        cells[t] = Measured(_measure(indicator, mine), contributors=len({f.subject for f in mine}))
    return suppress(plan, indicator, cells)


def _measure(indicator: Indicator, facts: list[Fact]) -> Decimal:
    counts = indicator.counts
    if counts.measure == "count":
        return Decimal(len(facts))
    if counts.measure == "count_distinct":
        return Decimal(len({f.subject for f in facts}))
    total = sum((f.amount or Decimal(0) for f in facts), Decimal(0)) * counts.amount_scale
    return quantize(total, counts.decimals)


def _ratio_all(plan: Plan, indicator: Indicator, facts: Iterable[Fact],
               day: date) -> dict[str, Measured]:
    ratio = indicator.counts.ratio
    assert ratio is not None  # the plan loader refuses a ratio indicator without one
    table: dict[tuple[str, int, str], Decimal] = {}
    for f in facts:
        if f.source == "statistic" and f.amount is not None and f.valid_from.year <= day.year:
            table[(f.district, f.valid_from.year, f.kind)] = f.amount
    return {t: _ratio(indicator, table, t, day) for t in plan.territories}


def _figure(table: Mapping[tuple[str, int, str], Decimal], territory: str, year: int,
            measure: str) -> Decimal | None:
    if (territory, year, measure) in table:
        return table[(territory, year, measure)]
    if territory == CITY and all((d, year, measure) in table for d in DISTRICTS):
        return sum((table[(d, year, measure)] for d in DISTRICTS), Decimal(0))
    return None


def _ratio(indicator: Indicator, table: Mapping[tuple[str, int, str], Decimal], territory: str,
           day: date) -> Measured:
    ratio = indicator.counts.ratio
    assert ratio is not None
    for year in sorted({y for _, y, _ in table}, reverse=True):
        num = _figure(table, territory, year, ratio.numerator)
        den = _figure(table, territory, year, ratio.denominator)
        if num is None or den is None or den == 0:
            continue
        note = "" if year == day.year else f"{day.year} not reported yet; latest reported year {year}"
        value = quantize(num / den * ratio.scale, indicator.counts.decimals)
        return Measured(value, str(year), note)
    return Measured(None, "", f"no {ratio.numerator} and {ratio.denominator} reported up to {day.year}")
