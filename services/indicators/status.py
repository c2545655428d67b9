"""Status against the plan: the straight path from the baseline (at plan start) to the target."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from services.indicators.evaluate import Measured, quantize
from yinling.plan import Indicator, Plan
from yinling.v1 import indicators_pb2 as pb


def text(value: Decimal | None) -> str:
    return "" if value is None else format(value, "f")


def expected_at(plan: Plan, baseline: Decimal, target: Decimal, target_date: date, day: date) -> Decimal:
    total = (target_date - plan.period.start).days
    elapsed = min(max((day - plan.period.start).days, 0), total) if total > 0 else total
    share = Decimal(elapsed) / Decimal(total) if total > 0 else Decimal(1)
    return baseline + (target - baseline) * share


def status_of(value: Decimal | None, expected: Decimal,
              tolerance: Decimal) -> pb.IndicatorStatus:
    if value is None:
        return pb.INDICATOR_STATUS_UNSPECIFIED
    if value > expected * (1 + tolerance):
        return pb.INDICATOR_STATUS_AHEAD
    if value >= expected * (1 - tolerance):
        return pb.INDICATOR_STATUS_ON_TRACK
    return pb.INDICATOR_STATUS_BEHIND


def indicator_value(plan: Plan, indicator: Indicator, territory: str, day: date, measured: Measured,
                    baseline: Measured, computed_at: str) -> pb.IndicatorValue:
    """The full answer for one (indicator, territory, day); baseline is the value at baseline.as_of."""
    base = indicator.baseline.value if indicator.baseline.value is not None else baseline.value
    out = pb.IndicatorValue(
        plan_id=plan.id, indicator_id=indicator.id, territory=territory, as_of=day.isoformat(),
        value=text(measured.value), unit=indicator.unit, name_zh=indicator.name_zh,
        name_en=indicator.name_en, kind=indicator.kind, computed_at=computed_at,
        baseline=text(base), period=measured.period or _period(plan, indicator, day),
        note=measured.note, status=pb.INDICATOR_STATUS_NO_TARGET, suppressed=measured.suppressed)
    if baseline.suppressed:   # a path from it would give the withheld baseline away
        out.baseline = ""
    target = indicator.target_for(territory, day)
    if target is None:
        return out
    expected = expected_at(plan, base or Decimal(0), target.value, target.date, day)
    out.target = text(target.value)
    out.target_date = target.date.isoformat()
    if baseline.suppressed:
        out.status = pb.INDICATOR_STATUS_UNSPECIFIED
        return out
    out.expected = text(quantize(expected, max(2, indicator.counts.decimals)))
    out.status = status_of(measured.value, expected, plan.status_tolerance)
    if measured.value is not None and target.value:
        out.progress = float(measured.value / target.value)
    if target.note:
        out.note = "; ".join(n for n in (out.note, f"target: {target.note}") if n)
    return out


def _period(plan: Plan, indicator: Indicator, day: date) -> str:
    if indicator.kind == "per_year":
        return str(day.year)
    if indicator.kind == "cumulative":
        return f"{plan.period.start.isoformat()}/{day.isoformat()}"
    return ""
