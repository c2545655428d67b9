"""Keeping contributions and deltas current: a batch recomputes only the units it touched.

A unit's old contribution is taken back and its new one added, as deltas, so the work of a
batch is in proportion to the facts of the units it changed, not to the facts held. A new
plan, or an indicator whose definition changed, is built once from every fact (`build`).
"""
from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from services.indicators import deltas, store
from services.indicators.contributions import (
    Contribution,
    contributions,
    decode,
    distinct,
    encode,
    incremental,
    unit_of,
)
from services.indicators.contributions import (
    deltas as deltas_of,
)
from services.indicators.deps import needs
from services.indicators.facts import Fact
from services.indicators.projection import BuildRow, ContributionRow, DeltaRow, FactRow, fact_of
from services.indicators.store import Touched, chunks
from yinling.plan import Indicator, Plan

Key = tuple[str, str, str]   # (plan, indicator, territory)
# Sources whose facts name an enterprise of another aggregate (its district, its certificates).
LINKED_SOURCES = {"talent", "finance"}


@dataclass
class Changed:
    """Net deltas of a batch per (plan, indicator, territory, day), and the event behind each key."""
    deltas: Counter[tuple[str, str, str, date]] = field(default_factory=Counter)
    causes: dict[Key, str] = field(default_factory=dict)


def definition_of(plan: Plan, indicator: Indicator) -> str:
    """What the contributions depend on: the indicator's counting rule and the plan's start."""
    text = f"{plan.period.start.isoformat()}|{indicator.kind}|{indicator.counts.model_dump_json()}"
    return hashlib.sha256(text.encode()).hexdigest()


def _source_kinds(indicator: Indicator) -> tuple[str, ...] | None:
    return needs(indicator)[0][1]


def _units(indicator: Indicator, touched: Touched, session: Session) -> dict[str, str]:
    """The units of one indicator that the batch may have changed, with the causing event."""
    wanted = needs(indicator)
    source, kinds = wanted[0]
    by_subject = distinct(indicator)
    units: dict[str, str] = {}
    for key, cause in touched.facts.items():
        if any(key.source == s and (ks is None or key.kind in ks) for s, ks in wanted):
            if key.source == source:   # (a required qualification of the same enterprise too)
                units[key.subject if by_subject else key.aggregate_id] = cause
    if source in LINKED_SOURCES and touched.enterprises:
        for unit, code in store.linked_units(session, source, kinds, touched.enterprises, by_subject):
            units.setdefault(unit, touched.enterprises[code])
    return units


def _context(session: Session, indicator: Indicator, facts: list[Fact]) -> tuple[dict[str, Any], dict[str, Any]]:
    codes = {f.enterprise_credit_code for f in facts if f.enterprise_credit_code}
    timelines = store.load_timelines(session, codes) if codes else {}
    required = indicator.counts.requires_qualification
    quals = store.qualification_intervals(session, required.kind, codes) if required and codes else {}
    return timelines, quals


def update(session: Session, plan: Plan, indicator: Indicator, touched: Touched, changed: Changed) -> None:
    """Recompute the touched units of one indicator and record the net deltas."""
    units = _units(indicator, touched, session)
    if not units:
        return
    source, kinds = needs(indicator)[0]
    by_subject = distinct(indicator)
    facts = store.facts_of_units(session, source, kinds, units, by_subject)
    timelines, quals = _context(session, indicator, facts)
    grouped: dict[str, list[Fact]] = defaultdict(list)
    for f in facts:
        grouped[unit_of(indicator, f)].append(f)
    old = _stored(session, plan.id, indicator.id, units)
    writes: dict[str, str] = {}
    for unit, cause in units.items():
        new = contributions(plan, indicator, grouped.get(unit, ()), timelines, quals)
        body = encode(new)
        if body == old.get(unit, ""):
            continue
        writes[unit] = body
        net = deltas_of(new)
        net.subtract(deltas_of(decode(old.get(unit, ""))))
        for (territory, day), delta in net.items():
            if delta:
                changed.deltas[(plan.id, indicator.id, territory, day)] += delta
                changed.causes[(plan.id, indicator.id, territory)] = cause
    _write(session, plan.id, indicator.id, writes)


def _stored(session: Session, plan_id: str, indicator_id: str, units: Iterable[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    t = ContributionRow
    for part in chunks(sorted(set(units))):
        out.update((u, b) for u, b in session.execute(select(t.unit, t.body).where(
            t.plan_id == plan_id, t.indicator_id == indicator_id, t.unit.in_(part))).all())
    return out


def _write(session: Session, plan_id: str, indicator_id: str, bodies: dict[str, str]) -> None:
    t = ContributionRow
    for part in chunks(sorted(bodies)):
        session.execute(delete(t).where(t.plan_id == plan_id, t.indicator_id == indicator_id,
                                        t.unit.in_(part)))
    rows = [{"plan_id": plan_id, "indicator_id": indicator_id, "unit": u, "body": b}
            for u, b in bodies.items() if b]
    for start in range(0, len(rows), store.CHUNK):
        session.execute(insert(t), rows[start:start + store.CHUNK])


def unbuilt(session: Session, plans: Iterable[Plan]) -> list[tuple[Plan, Indicator]]:
    """Indicators whose contributions were built for another definition, or never."""
    built = {(p, i): d for p, i, d in session.execute(
        select(BuildRow.plan_id, BuildRow.indicator_id, BuildRow.definition))}
    return [(plan, indicator) for plan in plans for indicator in plan.indicators
            if incremental(indicator) and built.get((plan.id, indicator.id)) != definition_of(plan, indicator)]


def _facts_by_unit(session: Session, indicator: Indicator) -> Iterator[tuple[str, list[Fact]]]:
    """Every fact of the indicator's source and kinds, a unit at a time (ordered by unit)."""
    source, kinds = needs(indicator)[0]
    table = FactRow.__table__
    column = table.c.subject if distinct(indicator) else table.c.aggregate_id
    query = select(table).where(table.c.source == source)
    if kinds is not None:
        query = query.where(table.c.kind.in_(list(kinds)))
    unit: str | None = None
    group: list[Fact] = []
    for row in session.execute(query.order_by(column, table.c.id)).yield_per(5000):
        fact = fact_of(row)
        current = unit_of(indicator, fact)
        if current != unit and group:
            yield unit or "", group
            group = []
        unit = current
        group.append(fact)
    if group:
        yield unit or "", group


def build(session: Session, plan: Plan, indicator: Indicator) -> int:
    """Contributions and deltas of one indicator from every fact held; returns units built."""
    session.execute(delete(ContributionRow).where(ContributionRow.plan_id == plan.id,
                                                  ContributionRow.indicator_id == indicator.id))
    session.execute(delete(DeltaRow).where(DeltaRow.plan_id == plan.id,
                                           DeltaRow.indicator_id == indicator.id))
    timelines = store.load_timelines(session)
    required = indicator.counts.requires_qualification
    quals = store.qualification_intervals(session, required.kind, None) if required else {}
    total: Counter[tuple[str, date]] = Counter()
    rows: list[dict[str, str]] = []
    units = 0
    for unit, facts in _facts_by_unit(session, indicator):
        found: list[Contribution] = contributions(plan, indicator, facts, timelines, quals)
        units += 1
        if found:
            rows.append({"plan_id": plan.id, "indicator_id": indicator.id, "unit": unit, "body": encode(found)})
            total.update(deltas_of(found))
        if len(rows) >= store.CHUNK * 4:
            session.execute(insert(ContributionRow), rows)
            rows = []
    if rows:
        session.execute(insert(ContributionRow), rows)
    deltas.add(session, {(plan.id, indicator.id, t, d): v for (t, d), v in total.items()})
    session.execute(delete(BuildRow).where(BuildRow.plan_id == plan.id, BuildRow.indicator_id == indicator.id))
    session.add(BuildRow(plan_id=plan.id, indicator_id=indicator.id, definition=definition_of(plan, indicator)))
    return units
