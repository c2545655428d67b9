"""The projection's writes and reads: snapshots in (version-guarded), facts and timelines out."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from services.indicators.decode import Snapshot
from services.indicators.facts import AGGREGATE_OF, DistrictPeriod, Fact, facts_of, periods_of
from services.indicators.projection import (
    AggregateVersion,
    DistrictPeriodRow,
    FactRow,
    ProcessedEvent,
    fact_of,
    fact_values,
    table_of,
)

CHUNK = 500


def chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


@dataclass(frozen=True)
class FactKey:
    """Enough of a replaced or new fact to find the units it belongs to."""
    source: str
    kind: str
    subject: str
    aggregate_id: str


@dataclass
class Touched:
    """What a batch changed: (source, kind) pairs of old and new facts, moved enterprises, the
    old and new facts themselves, and every enterprise whose snapshot changed."""
    kinds: dict[tuple[str, str], str] = field(default_factory=dict)   # -> cause event id
    moved: str = ""   # event id of the last enterprise whose district timeline changed
    facts: dict[FactKey, str] = field(default_factory=dict)   # -> cause event id
    enterprises: dict[str, str] = field(default_factory=dict)   # credit code -> cause event id


def unseen(session: Session, event_ids: Sequence[str]) -> set[str]:
    """Event ids not processed before; they are marked processed in this transaction."""
    done: set[str] = set()
    for part in chunks(list(dict.fromkeys(event_ids))):
        done.update(session.scalars(select(ProcessedEvent.event_id)
                                    .where(ProcessedEvent.event_id.in_(part))))
    fresh = [e for e in dict.fromkeys(event_ids) if e not in done]
    if fresh:
        session.execute(insert(table_of(ProcessedEvent)), [{"event_id": e} for e in fresh])
    return set(fresh)


def newer(session: Session, snapshots: list[Snapshot]) -> list[Snapshot]:
    """The newest snapshot per aggregate, kept only when newer than the stored version."""
    best: dict[tuple[str, str], Snapshot] = {}
    for s in snapshots:
        key = (s.aggregate, s.aggregate_id)
        if key not in best or s.version > best[key].version:
            best[key] = s
    by_type: dict[str, list[str]] = defaultdict(list)
    for aggregate, aggregate_id in best:
        by_type[aggregate].append(aggregate_id)
    stored: dict[tuple[str, str], int] = {}
    for aggregate, ids in by_type.items():
        for part in chunks(ids):
            for a, a_id, version in session.execute(select(
                    AggregateVersion.aggregate, AggregateVersion.aggregate_id, AggregateVersion.version)
                    .where(AggregateVersion.aggregate == aggregate, AggregateVersion.aggregate_id.in_(part))):
                stored[(a, a_id)] = version
    kept = [s for key, s in best.items() if stored.get(key, -1) < s.version]
    new = [{"aggregate": s.aggregate, "aggregate_id": s.aggregate_id, "version": s.version}
           for s in kept if (s.aggregate, s.aggregate_id) not in stored]
    moved = [{"a": s.aggregate, "a_id": s.aggregate_id, "v": s.version}
             for s in kept if (s.aggregate, s.aggregate_id) in stored]
    if new:
        session.execute(insert(table_of(AggregateVersion)), new)
    if moved:
        table = cast(Table, AggregateVersion.__table__)
        session.execute(update(table).where(table.c.aggregate == bindparam("a"),
                                            table.c.aggregate_id == bindparam("a_id"))
                        .values(version=bindparam("v")), moved)
    return kept


def replace(session: Session, snapshots: list[Snapshot]) -> Touched:
    """Replace each aggregate's facts (and an enterprise's district periods) by its new ones."""
    touched = Touched()
    by_type: dict[str, list[Snapshot]] = defaultdict(list)
    for s in snapshots:
        by_type[s.aggregate].append(s)
    for aggregate, group in by_type.items():
        ids = [s.aggregate_id for s in group]
        cause = {s.aggregate_id: s.event_id for s in group}
        if aggregate == "enterprise":
            touched.enterprises.update(cause)
        for part in chunks(ids):
            old = session.execute(select(FactRow.aggregate_id, FactRow.source, FactRow.kind,
                                         FactRow.subject).where(
                FactRow.aggregate == aggregate, FactRow.aggregate_id.in_(part)))
            for aggregate_id, source, kind, subject in old:
                touched.kinds[(source, kind)] = cause[aggregate_id]
                touched.facts[FactKey(source, kind, subject, aggregate_id)] = cause[aggregate_id]
            session.execute(delete(FactRow).where(FactRow.aggregate == aggregate,
                                                  FactRow.aggregate_id.in_(part)))
        rows = []
        for s in group:
            for fact in facts_of(s.record):
                touched.kinds[(fact.source, fact.kind)] = s.event_id
                touched.facts[FactKey(fact.source, fact.kind, fact.subject, fact.aggregate_id)] = s.event_id
                rows.append(fact_values(aggregate, fact))
        if rows:
            session.execute(insert(table_of(FactRow)), rows)
        if aggregate == "enterprise":
            _replace_periods(session, group, touched)
    return touched


def _replace_periods(session: Session, group: list[Snapshot], touched: Touched) -> None:
    codes = [s.aggregate_id for s in group]
    old: dict[str, set[DistrictPeriod]] = defaultdict(set)
    for part in chunks(codes):
        for row in session.execute(select(DistrictPeriodRow.__table__).where(
                DistrictPeriodRow.credit_code.in_(part))):
            old[row.credit_code].add(DistrictPeriod(row.credit_code, row.district, row.valid_from,
                                                    row.valid_until))
        session.execute(delete(DistrictPeriodRow).where(DistrictPeriodRow.credit_code.in_(part)))
    rows: list[dict[str, Any]] = []
    for s in group:
        periods = periods_of(s.record)
        if set(periods) != old.get(s.aggregate_id, set()):
            touched.moved = s.event_id
        rows.extend({"credit_code": p.credit_code, "district": p.district, "valid_from": p.valid_from,
                     "valid_until": p.valid_until} for p in periods)
    if rows:
        session.execute(insert(table_of(DistrictPeriodRow)), rows)


def load_facts(session: Session, source: str, kinds: Sequence[str] | None) -> list[Fact]:
    """Facts of one source, only of the given primary kinds when the plan names them."""
    table = FactRow.__table__
    query = select(table).where(table.c.source == source)
    if kinds is not None:
        query = query.where(table.c.kind.in_(list(kinds)))
    return [fact_of(row) for row in session.execute(query)]


def load_timelines(session: Session, codes: Iterable[str] | None = None) -> dict[str, list[DistrictPeriod]]:
    """District timelines, of the given enterprises or of all; periods in the order received."""
    table = DistrictPeriodRow.__table__
    queries = ([select(table)] if codes is None else
               [select(table).where(table.c.credit_code.in_(part)) for part in chunks(sorted(set(codes)))])
    timelines: dict[str, list[DistrictPeriod]] = defaultdict(list)
    for query in queries:
        for row in session.execute(query.order_by(table.c.id)):
            timelines[row.credit_code].append(DistrictPeriod(row.credit_code, row.district, row.valid_from,
                                                             row.valid_until))
    return dict(timelines)


def facts_of_units(session: Session, source: str, kinds: Sequence[str] | None, units: Iterable[str],
                   by_subject: bool) -> list[Fact]:
    """Facts of one source whose subject (or aggregate id) is one of `units`."""
    table = FactRow.__table__
    column = table.c.subject if by_subject else table.c.aggregate_id
    out: list[Fact] = []
    for part in chunks(sorted(set(units))):
        if by_subject:
            query = select(table).where(table.c.source == source, column.in_(part))
            if kinds is not None:
                query = query.where(table.c.kind.in_(list(kinds)))
        else:
            # One aggregate type holds one source's facts. Naming only the aggregate leaves the
            # (aggregate, aggregate_id) index the one to use: a read bounded by the units.
            query = select(table).where(table.c.aggregate == AGGREGATE_OF[source], column.in_(part))
        out.extend(fact_of(row) for row in session.execute(query.order_by(table.c.id)))
    return out


@dataclass(frozen=True)
class Linked:
    """A fact that names an enterprise: enough to find its unit for any indicator."""
    kind: str
    subject: str
    aggregate_id: str
    credit_code: str


def linked_facts(session: Session, source: str, codes: Iterable[str]) -> list[Linked]:
    """The facts of `source` that name one of the enterprises (one query for every indicator
    of the source; each picks its kinds and its unit from these)."""
    table = FactRow.__table__
    out: list[Linked] = []
    for part in chunks(sorted(set(codes))):
        query = select(table.c.kind, table.c.subject, table.c.aggregate_id, table.c.credit_code).where(
            table.c.source == source, table.c.credit_code.in_(part))
        out.extend(Linked(*row) for row in session.execute(query))
    return out


def qualification_intervals(session: Session, kind: str, codes: Iterable[str] | None
                            ) -> dict[str, list[tuple[date, date | None]]]:
    """{credit code: [valid_from, valid_until) of each qualification of the kind}."""
    table = FactRow.__table__
    base = select(table.c.credit_code, table.c.valid_from, table.c.valid_until).where(
        table.c.source == "qualification", table.c.kind == kind)
    queries = ([base] if codes is None else
               [base.where(table.c.credit_code.in_(part)) for part in chunks(sorted(set(codes)))])
    out: dict[str, list[tuple[date, date | None]]] = defaultdict(list)
    for query in queries:
        for code, start, end in session.execute(query):
            out[code].append((start, end))
    return dict(out)


