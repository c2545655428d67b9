"""What one unit of facts adds to an indicator, as intervals of days per territory.

The incremental engine's arithmetic, pure (no I/O). An indicator's value for a territory on
day D is the sum of the weights of the intervals that contain D. A unit is what is
recomputed together: the facts of one subject for a distinct count (one enterprise with two
loans is one beneficiary), otherwise the facts of one aggregate. Each interval becomes two
deltas (+weight at its start, -weight at its end), so "as of D" is a prefix sum of deltas.

The rules are those of `evaluate` (the from-scratch reading, kept as the oracle): windows,
filters, a required qualification, and the district of the enterprise on the day asked for a
stock or on the day it happened for a flow (在地统计).
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from services.indicators.evaluate import Timelines, district_at, place_day
from services.indicators.facts import Fact
from yinling.plan import Indicator, Plan
from yinling.territory import CITY, DISTRICTS

Interval = tuple[date, date | None]   # [start, end); None: open


@dataclass(frozen=True, order=True)
class Contribution:
    territory: str
    start: date
    end: date | None
    weight: int


def incremental(indicator: Indicator) -> bool:
    """Ratios read a handful of yearly statistics and are computed whole; the rest by deltas."""
    return indicator.kind != "ratio"


def distinct(indicator: Indicator) -> bool:
    return indicator.counts.measure == "count_distinct" and indicator.kind != "coverage"


def unit_of(indicator: Indicator, fact: Fact) -> str:
    return fact.subject if distinct(indicator) else fact.aggregate_id


def weight_of(indicator: Indicator, fact: Fact) -> int:
    """Counts weigh 1; sums weigh the fact's amount in its smallest unit (fen for money)."""
    if indicator.counts.measure != "sum":
        return 1
    amount = fact.amount or Decimal(0)
    return int(amount.to_integral_value(rounding=ROUND_HALF_UP))


def selected(indicator: Indicator, fact: Fact) -> bool:
    counts = indicator.counts
    return fact.source == counts.source and all(
        w.accepts(fact.attributes.get(w.attribute, "")) for w in counts.where)


def _clip(start: date, end: date | None, lo: date | None, hi: date | None) -> Interval | None:
    s = start if lo is None else max(start, lo)
    e = end if hi is None else (hi if end is None else min(end, hi))
    return None if e is not None and e <= s else (s, e)


def window_interval(plan: Plan, indicator: Indicator, fact: Fact) -> Interval | None:
    """The days on which the fact is in the indicator's window (before any qualification)."""
    window = indicator.window
    if window == "cumulative":   # brought in during the plan; leaving later does not undo it
        if fact.valid_from < plan.period.start:
            return None
        return _clip(fact.valid_from, fact.cancelled_on, None, None)
    end = fact.valid_until
    if fact.cancelled_on is not None:
        end = fact.cancelled_on if end is None else min(end, fact.cancelled_on)
    if window == "year" and "year" in fact.attributes:
        year = int(fact.attributes["year"])
        return _clip(fact.valid_from, end, date(year, 1, 1), date(year + 1, 1, 1))
    return _clip(fact.valid_from, end, None, None)


def union(intervals: Iterable[Interval]) -> list[Interval]:
    """Disjoint, sorted; touching intervals merge ([a, b) and [b, c) are [a, c))."""
    out: list[Interval] = []
    for start, end in sorted(intervals, key=lambda i: i[0]):
        if out and (out[-1][1] is None or start <= out[-1][1]):
            last_start, last_end = out[-1]
            out[-1] = (last_start, None if last_end is None or end is None else max(last_end, end))
        else:
            out.append((start, end))
    return out


def _intersect(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    out = []
    for s1, e1 in a:
        for s2, e2 in b:
            clipped = _clip(s1, e1, s2, e2)
            if clipped is not None:
                out.append(clipped)
    return out


def _holds(qualifications: Sequence[Interval], day: date) -> bool:
    return any(s <= day and (e is None or day < e) for s, e in qualifications)


def qualified(indicator: Indicator, fact: Fact, interval: Interval,
              qualifications: Mapping[str, Sequence[Interval]]) -> list[Interval]:
    """The part of the interval on which the required qualification holds."""
    required = indicator.counts.requires_qualification
    if required is None:
        return [interval]
    held = qualifications.get(fact.enterprise_credit_code, ())
    if required.at == "valid_from":
        return [interval] if _holds(held, fact.valid_from) else []
    return _intersect([interval], union(held))


def placed(indicator: Indicator, fact: Fact, interval: Interval,
           timelines: Timelines) -> list[tuple[str, Interval]]:
    """The interval split by district: a flow stays where it happened, a stock follows the
    enterprise's district timeline (the fact's own district where the timeline is silent)."""
    if indicator.window == "cumulative" or not fact.enterprise_credit_code:
        return [(district_at(fact, place_day(indicator, fact, interval[0]), timelines), interval)]
    start, end = interval
    cuts = sorted({d for p in timelines.get(fact.enterprise_credit_code, ())
                   for d in (p.valid_from, p.valid_until)
                   if d is not None and start < d and (end is None or d < end)})
    bounds: list[date | None] = [start, *cuts, end]
    pieces = []
    for s, e in zip(bounds, bounds[1:], strict=False):
        assert s is not None
        pieces.append((district_at(fact, s, timelines), (s, e)))
    return pieces


def contributions(plan: Plan, indicator: Indicator, facts: Iterable[Fact], timelines: Timelines,
                  qualifications: Mapping[str, Sequence[Interval]]) -> list[Contribution]:
    """The contributions of one unit's facts, per district and city-wide."""
    per_district: dict[str, list[tuple[Interval, int]]] = defaultdict(list)
    city: list[tuple[Interval, int]] = []
    for fact in facts:
        if not selected(indicator, fact):
            continue
        interval = window_interval(plan, indicator, fact)
        if interval is None:
            continue
        weight = weight_of(indicator, fact)
        for part in qualified(indicator, fact, interval, qualifications):
            city.append((part, weight))
            for district, piece in placed(indicator, fact, part, timelines):
                if district in DISTRICTS:
                    per_district[district].append((piece, weight))
    out: list[Contribution] = []
    if indicator.kind != "coverage":   # coverage city-wide is a count of covered districts
        out.extend(_combine(indicator, CITY, city))
    for district, pieces in per_district.items():
        out.extend(_combine(indicator, district, pieces))
    return sorted(out)


def _combine(indicator: Indicator, territory: str,
             pieces: list[tuple[Interval, int]]) -> list[Contribution]:
    if distinct(indicator):   # a subject counts once however many of its facts hold
        return [Contribution(territory, s, e, 1) for s, e in union(i for i, _ in pieces)]
    return [Contribution(territory, s, e, w) for (s, e), w in pieces if w]


def deltas(items: Iterable[Contribution], sign: int = 1) -> Counter[tuple[str, date]]:
    """+weight at each start, -weight at each end, per (territory, day)."""
    out: Counter[tuple[str, date]] = Counter()
    for c in items:
        out[(c.territory, c.start)] += sign * c.weight
        if c.end is not None:
            out[(c.territory, c.end)] -= sign * c.weight
    return out


def encode(items: Sequence[Contribution]) -> str:
    """Compact text for the contribution table: territory,start,end,weight;..."""
    return ";".join(f"{c.territory},{c.start.toordinal()},{c.end.toordinal() if c.end else ''},{c.weight}"
                    for c in items)


def decode(text: str) -> list[Contribution]:
    out = []
    for part in text.split(";") if text else ():
        territory, start, end, weight = part.split(",")
        out.append(Contribution(territory, date.fromordinal(int(start)),
                                date.fromordinal(int(end)) if end else None, int(weight)))
    return out
