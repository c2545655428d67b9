"""Keeping contributions and deltas current: a batch recomputes only the units it touched.

The transaction that changes facts queues the units they belong to (`touches`, `enqueue`);
`drain` takes queued units, recomputes each, takes back its old contribution and adds the new
one as deltas. The work is in proportion to the facts of the units changed, not to the facts
held. A new plan, or an indicator whose definition changed, is built once from every fact.
"""
from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from services.indicators import deltas, locks, store
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
from services.indicators.disclosure import counted
from services.indicators.evaluate import Timelines
from services.indicators.facts import Fact
from services.indicators.projection import (
    BuildRow,
    ContributionRow,
    DeltaRow,
    FactRow,
    PendingRow,
    fact_of,
    table_of,
)
from services.indicators.store import Touched, chunks
from yinling.plan import Indicator, Plan

Work = dict[tuple[str, str, str], str]   # (plan, indicator, territory) -> cause event id
# Sources whose facts name an enterprise of another aggregate (its district, its certificates).
LINKED_SOURCES = {"talent", "finance"}


def definition_of(plan: Plan, indicator: Indicator) -> str:
    """What the contributions depend on: the indicator's counting rule and the plan's start."""
    text = f"{plan.period.start.isoformat()}|{indicator.kind}|{indicator.counts.model_dump_json()}"
    return hashlib.sha256(text.encode()).hexdigest()


def touches(plan: Plan, indicator: Indicator, touched: Touched) -> list[dict[str, str]]:
    """Pending rows for the units of one indicator that a batch's facts belong to, and one row
    per changed enterprise for indicators whose facts name enterprises (their district and
    certificates): those units are looked up after this change is committed."""
    wanted = needs(indicator)
    source = wanted[0][0]
    by_subject = distinct(indicator)
    units: dict[str, str] = {}
    for key, cause in touched.facts.items():
        # (a required qualification of the same enterprise counts as a fact of the unit)
        if key.source == source and any(key.source == s and (ks is None or key.kind in ks) for s, ks in wanted):
            units[key.subject if by_subject else key.aggregate_id] = cause
    rows = [{"plan_id": plan.id, "indicator_id": indicator.id, "unit": u, "credit_code": "",
             "cause_event_id": c} for u, c in units.items()]
    if source in LINKED_SOURCES:
        rows.extend({"plan_id": plan.id, "indicator_id": indicator.id, "unit": "", "credit_code": code,
                     "cause_event_id": cause} for code, cause in touched.enterprises.items())
    return rows


def enqueue(session: Session, rows: list[dict[str, str]]) -> None:
    for start in range(0, len(rows), store.CHUNK):
        session.execute(insert(table_of(PendingRow)), rows[start:start + store.CHUNK])


def drain(session: Session, plans: Mapping[str, Plan], shard: int, limit: int | None = None) -> int:
    """Take pending rows (rows another worker holds are skipped), recompute their units, add
    the net deltas to this worker's shard and mark the changed keys dirty. Returns the number
    of rows taken."""
    locks.take(session, "build", shared=True)   # no rebuild under way (it replaces the sums)
    table: Any = PendingRow.__table__   # plain rows: nothing for the ORM to track
    query = select(table).order_by(table.c.id).with_for_update(skip_locked=True)
    claimed = list(session.execute(query.limit(limit) if limit else query))
    if not claimed:
        return 0
    work: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)   # (plan, indicator) -> unit -> cause
    links: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)  # (plan, indicator) -> code -> cause
    for row in claimed:
        if row.plan_id not in plans:
            continue   # a plan no longer loaded
        if row.unit:
            work[(row.plan_id, row.indicator_id)][row.unit] = row.cause_event_id
        else:
            links[(row.plan_id, row.indicator_id)][row.credit_code] = row.cause_event_id
    changes: Counter[tuple[str, str, str, date]] = Counter()
    causes: Work = {}
    linked: dict[tuple[str, frozenset[str]], list[store.Linked]] = {}   # one lookup per source
    for plan in plans.values():
        for indicator in counted(plan):
            key = (plan.id, indicator.id)
            if key not in work and key not in links:
                continue
            units = work[key]
            if key in links:
                source, kinds = needs(indicator)[0]
                codes = links[key]
                if (source, frozenset(codes)) not in linked:
                    linked[(source, frozenset(codes))] = store.linked_facts(session, source, codes)
                for f in linked[(source, frozenset(codes))]:
                    if kinds is None or f.kind in kinds:
                        units.setdefault(f.subject if distinct(indicator) else f.aggregate_id, codes[f.credit_code])
            _recompute(session, plan, indicator, units, changes, causes)
    deltas.add(session, changes, shard)
    deltas.mark_dirty(session, causes, shard)
    ids = [r.id for r in claimed]
    for start in range(0, len(ids), store.CHUNK):
        session.execute(delete(PendingRow).where(PendingRow.id.in_(ids[start:start + store.CHUNK])))
    return len(claimed)


def _context(session: Session, indicator: Indicator, facts: list[Fact]) -> tuple[dict[str, Any], dict[str, Any]]:
    codes = {f.enterprise_credit_code for f in facts if f.enterprise_credit_code}
    timelines = store.load_timelines(session, codes) if codes else {}
    required = indicator.counts.requires_qualification
    quals = store.qualification_intervals(session, required.kind, codes) if required and codes else {}
    return timelines, quals


def _recompute(session: Session, plan: Plan, indicator: Indicator, units: dict[str, str],
               changes: Counter[tuple[str, str, str, date]], causes: Work) -> None:
    """Recompute units of one indicator; add the net deltas and the causes of changed keys."""
    if not units:
        return
    source, kinds = needs(indicator)[0]
    old = _stored(session, plan.id, indicator.id, units)   # locked until commit
    facts = store.facts_of_units(session, source, kinds, units, distinct(indicator))
    timelines, quals = _context(session, indicator, facts)
    grouped: dict[str, list[Fact]] = defaultdict(list)
    for f in facts:
        grouped[unit_of(indicator, f)].append(f)
    writes: dict[str, str] = {}
    for unit, cause in sorted(units.items()):
        body = encode(contributions(plan, indicator, grouped.get(unit, ()), timelines, quals))
        if body == old.get(unit, ""):
            continue
        writes[unit] = body
        net = deltas_of(decode(body))
        net.subtract(deltas_of(decode(old.get(unit, ""))))
        for (territory, day), delta in net.items():
            if delta:
                changes[(plan.id, indicator.id, territory, day)] += delta
                causes[(plan.id, indicator.id, territory)] = cause
    _write(session, plan.id, indicator.id, writes, set(old))


def _stored(session: Session, plan_id: str, indicator_id: str, units: Iterable[str]) -> dict[str, str]:
    """Stored contributions, locked (FOR UPDATE) in unit order: a second worker recomputing one
    of these units waits for this commit and then reads what it wrote."""
    out: dict[str, str] = {}
    t = ContributionRow
    for part in chunks(sorted(set(units))):
        out.update((u, b) for u, b in session.execute(select(t.unit, t.body).where(
            t.plan_id == plan_id, t.indicator_id == indicator_id, t.unit.in_(part))
            .order_by(t.unit).with_for_update()).all())
    return out


def _write(session: Session, plan_id: str, indicator_id: str, bodies: dict[str, str], stored: set[str]) -> None:
    t: Any = ContributionRow.__table__
    gone = sorted(u for u in bodies if u in stored)
    for part in chunks(gone):
        session.execute(delete(t).where(t.c.plan_id == plan_id, t.c.indicator_id == indicator_id,
                                        t.c.unit.in_(part)))
    rows = [{"plan_id": plan_id, "indicator_id": indicator_id, "unit": u, "body": b}
            for u, b in sorted(bodies.items()) if b]
    for start in range(0, len(rows), store.CHUNK):
        session.execute(insert(t), rows[start:start + store.CHUNK])


def unbuilt(session: Session, plans: Iterable[Plan]) -> list[tuple[Plan, Indicator]]:
    """Indicators whose contributions were built for another definition, or never."""
    built = {(p, i): d for p, i, d in session.execute(
        select(BuildRow.plan_id, BuildRow.indicator_id, BuildRow.definition))}
    return [(plan, indicator) for plan in plans for indicator in counted(plan)
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


def facts_to_read(session: Session, indicator: Indicator) -> int:
    """How many facts a build of the indicator reads (for a progress bar)."""
    source, kinds = needs(indicator)[0]
    query = select(func.count()).select_from(FactRow).where(FactRow.source == source)
    if kinds is not None:
        query = query.where(FactRow.kind.in_(list(kinds)))
    return int(session.scalar(query) or 0)


def build(session: Session, plan: Plan, indicator: Indicator, timelines: Timelines | None = None,
          progress: Callable[[int], object] | None = None) -> int:
    """Contributions and deltas of one indicator from every fact held; returns units built.
    `progress` is told how many facts were read as the build goes."""
    session.execute(delete(ContributionRow).where(ContributionRow.plan_id == plan.id,
                                                  ContributionRow.indicator_id == indicator.id))
    session.execute(delete(DeltaRow).where(DeltaRow.plan_id == plan.id,
                                           DeltaRow.indicator_id == indicator.id))
    if timelines is None:
        timelines = store.load_timelines(session)
    required = indicator.counts.requires_qualification
    quals = store.qualification_intervals(session, required.kind, None) if required else {}
    total: Counter[tuple[str, date]] = Counter()
    rows: list[dict[str, str]] = []
    units = 0
    for unit, facts in _facts_by_unit(session, indicator):
        found: list[Contribution] = contributions(plan, indicator, facts, timelines, quals)
        units += 1
        if progress is not None:
            progress(len(facts))
        if found:
            rows.append({"plan_id": plan.id, "indicator_id": indicator.id, "unit": unit, "body": encode(found)})
            total.update(deltas_of(found))
        if len(rows) >= store.CHUNK * 4:
            session.execute(insert(table_of(ContributionRow)), rows)
            rows = []
    if rows:
        session.execute(insert(table_of(ContributionRow)), rows)
    deltas.add(session, {(plan.id, indicator.id, t, d): v for (t, d), v in total.items()})
    session.execute(delete(BuildRow).where(BuildRow.plan_id == plan.id, BuildRow.indicator_id == indicator.id))
    session.add(BuildRow(plan_id=plan.id, indicator_id=indicator.id, definition=definition_of(plan, indicator)))
    return units
