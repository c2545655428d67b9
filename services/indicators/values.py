"""Indicator values on given days from the stored sums (ratios from their few statistics)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from services.indicators import deltas, store
from services.indicators.contributions import incremental
from services.indicators.deps import needs
from services.indicators.disclosure import contributor_counter, suppress
from services.indicators.evaluate import Measured, measure_days, quantize
from services.indicators.status import indicator_value
from yinling.plan import Indicator, Plan
from yinling.territory import CITY, DISTRICTS
from yinling.v1 import indicators_pb2 as pb

Sums = dict[tuple[str, str], int]


def from_sums(indicator: Indicator, sums: Sums, territory: str) -> Measured:
    """The measured value of a counted or summed indicator from its prefix sums."""
    if indicator.kind == "coverage":
        if territory == CITY:
            return Measured(Decimal(sum(1 for d in DISTRICTS if sums.get((indicator.id, d), 0) > 0)))
        return Measured(Decimal(int(sums.get((indicator.id, territory), 0) > 0)))
    total = Decimal(sums.get((indicator.id, territory), 0))
    counter = contributor_counter(indicator)
    contributors = sums.get((counter.id if counter else indicator.id, territory), 0)
    if indicator.counts.measure == "sum":
        total = quantize(total * indicator.counts.amount_scale, indicator.counts.decimals)
    return Measured(total, contributors=contributors)


def _measured(session: Session, plan: Plan, indicators: list[Indicator],
              days: Iterable[date]) -> dict[date, dict[tuple[str, str], Measured]]:
    """{day: {(indicator, territory): measured}} for the given indicators and days."""
    days = sorted(set(days))
    counted = [i for i in indicators if incremental(i)]
    out: dict[date, dict[tuple[str, str], Measured]] = {d: {} for d in days}
    for day in days:
        if not counted:
            break
        every = len(counted) == sum(1 for i in plan.indicators if incremental(i))
        ids = [i.id for i in counted] + [c.id for i in counted if (c := contributor_counter(i))]
        sums = deltas.sums_at(session, plan.id, day, None if every else ids)
        for indicator in counted:
            cells = suppress(plan, indicator, {t: from_sums(indicator, sums, t) for t in plan.territories})
            for t, measured in cells.items():
                out[day][(indicator.id, t)] = measured
    for indicator in indicators:
        if incremental(indicator):
            continue
        facts = [f for s, kinds in needs(indicator) for f in store.load_facts(session, s, kinds)]
        for day, by_territory in measure_days(plan, indicator, facts, {}, days).items():
            for t, m in by_territory.items():
                out[day][(indicator.id, t)] = m
    return out


def values_on(session: Session, plan: Plan, indicators: list[Indicator], days: Iterable[date],
              computed_at: str, territories: Iterable[str] | None = None
              ) -> dict[date, list[pb.IndicatorValue]]:
    """Full answers (targets, baseline, status) for every territory of the plan on each day."""
    days = sorted(set(days))
    wanted = list(days)
    for indicator in indicators:
        if indicator.baseline.value is None:
            wanted.append(indicator.baseline.as_of)
    measured = _measured(session, plan, indicators, wanted)
    keep = list(territories) if territories is not None else plan.territories
    out: dict[date, list[pb.IndicatorValue]] = {}
    for day in days:
        answers = []
        for indicator in indicators:
            base_day = indicator.baseline.as_of
            for t in keep:
                baseline = (measured[base_day][(indicator.id, t)] if indicator.baseline.value is None
                            else Measured(None))
                answers.append(indicator_value(plan, indicator, t, day, measured[day][(indicator.id, t)],
                                               baseline, computed_at))
        out[day] = answers
    return out
