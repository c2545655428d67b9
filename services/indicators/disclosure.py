"""Small-cell suppression of confidential indicators (a loan's amount, a person's placement).

A value from fewer than the plan's `disclosure.min_contributors` distinct enterprises or
people is withheld (primary suppression). Districts add up to the city, so when the city is
shown the withheld districts together must also hold at least that many contributors;
otherwise the next smallest district is withheld with them, or the city when none is left
(complementary suppression). Applied to the measured values themselves, so every output
built from them (stored values, changes, the indicators topic, as-of reads) agrees.

For a confidential sum the contributors are counted by a hidden companion indicator: the
same counting rule with measure count_distinct, maintained incrementally like any other.
"""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from services.indicators.measured import Measured
from yinling.plan import Indicator, Plan
from yinling.territory import CITY

SUFFIX = "~contributors"


def contributor_counter(indicator: Indicator) -> Indicator | None:
    """The hidden companion counting a confidential indicator's contributors, when its own
    value is not already that count."""
    if not indicator.confidential or indicator.counts.measure == "count_distinct":
        return None
    counts = indicator.counts.model_copy(update={"measure": "count_distinct",
                                                 "amount_scale": Decimal(1), "decimals": 0})
    return indicator.model_copy(update={"id": indicator.id + SUFFIX, "confidential": False,
                                        "targets": [], "counts": counts})


def counted(plan: Plan) -> list[Indicator]:
    """The plan's indicators and their hidden contributor counters: what the engine maintains."""
    return [*plan.indicators, *(c for i in plan.indicators if (c := contributor_counter(i)))]


def reported_id(indicator_id: str) -> str:
    """The plan indicator a maintained indicator id reports through."""
    return indicator_id.removesuffix(SUFFIX)


def suppress(plan: Plan, indicator: Indicator, cells: dict[str, Measured]) -> dict[str, Measured]:
    """The cells of one indicator on one day (every territory), with small cells withheld."""
    if not indicator.confidential:
        return cells
    least = plan.disclosure.min_contributors
    count = {t: m.contributors or 0 for t, m in cells.items()}
    primary = {t for t, n in count.items() if 0 < n < least}
    hidden = set(primary)
    districts = [t for t in cells if t != CITY]
    if CITY in cells and CITY not in hidden:
        while (withheld := [t for t in districts if t in hidden]) and sum(count[t] for t in withheld) < least:
            shown = sorted((count[t], t) for t in districts if t not in hidden and count[t] > 0)
            if not shown:
                hidden.add(CITY)
                break
            hidden.add(shown[0][1])
    return {t: _withheld(m, least, t in primary) if t in hidden else m for t, m in cells.items()}


def _withheld(measured: Measured, least: int, primary: bool) -> Measured:
    reason = (f"suppressed: fewer than {least} contributors" if primary else
              "suppressed so that a suppressed value cannot be derived from the others")
    return replace(measured, value=None, note=reason, suppressed=True)
