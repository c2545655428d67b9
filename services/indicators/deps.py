"""Which stored facts an indicator reads, and whether a batch's changes touch it."""
from __future__ import annotations

from services.indicators.facts import PRIMARY_ATTRIBUTE
from services.indicators.store import Touched
from yinling.plan import Indicator

Need = tuple[str, tuple[str, ...] | None]   # (source, primary kinds or None for all)
# Facts of these sources follow their enterprise's district, so a move can change them.
ENTERPRISE_LINKED = {"qualification", "talent", "finance"}


def needs(indicator: Indicator) -> list[Need]:
    counts = indicator.counts
    kinds: tuple[str, ...] | None = None
    for w in counts.where:
        if w.attribute == PRIMARY_ATTRIBUTE[counts.source] and w.in_ is not None:
            kinds = tuple(w.in_)
    if counts.ratio is not None:
        kinds = (counts.ratio.numerator, counts.ratio.denominator)
    out: list[Need] = [(counts.source, kinds)]
    if counts.requires_qualification is not None:
        out.append(("qualification", (counts.requires_qualification.kind,)))
    return out


def cause_for(indicator: Indicator, touched: Touched) -> str | None:
    """The event id that makes the indicator worth recomputing, or None when untouched."""
    wanted = needs(indicator)
    cause = None
    for (source, kind), event_id in touched.kinds.items():
        if any(s == source and (ks is None or kind in ks) for s, ks in wanted):
            cause = event_id
    if cause is None and touched.moved and any(s in ENTERPRISE_LINKED for s, _ in wanted):
        cause = touched.moved
    return cause
