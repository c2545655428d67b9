"""The delta table: adding deltas (three grains, one upsert each) and prefix sums as of a day."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Date, bindparam, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.indicators.projection import DeltaRow, DirtyRow

Key = tuple[str, str, str]   # (plan, indicator, territory)
BY_DAY, BY_INDICATOR_DAY = "ix_indicator_deltas_plan_grain_day", "ix_indicator_deltas_plan_indicator_grain_day"
CHUNK = 2000


def grains(day: date) -> list[tuple[str, date]]:
    return [("d", day), ("m", day.replace(day=1)), ("y", day.replace(month=1, day=1))]


def insert_for(session: Session) -> Any:
    """INSERT with ON CONFLICT for the dialect in use (SQLite and PostgreSQL spell it alike)."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def add(session: Session, changes: Mapping[tuple[str, str, str, date], int], shard: int = 0) -> None:
    """Add {(plan, indicator, territory, day): delta} to the stored sums of one shard,
    atomically per row (INSERT ... ON CONFLICT DO UPDATE SET delta = delta + excluded.delta)."""
    rows: Counter[tuple[str, str, str, str, date]] = Counter()
    for (plan_id, indicator_id, territory, day), delta in changes.items():
        if delta:
            for grain, key_day in grains(day):
                rows[(plan_id, indicator_id, territory, grain, key_day)] += delta
    values = [{"plan_id": p, "indicator_id": i, "territory": t, "grain": g, "day": d, "shard": shard,
               "delta": v} for (p, i, t, g, d), v in sorted(rows.items()) if v]   # sorted: one lock order
    if not values:
        return
    table: Any = DeltaRow.__table__
    insert = insert_for(session)
    for start in range(0, len(values), CHUNK):
        statement = insert(table)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.plan_id, table.c.indicator_id, table.c.territory, table.c.grain,
                            table.c.day, table.c.shard],
            set_={"delta": table.c.delta + statement.excluded.delta})
        session.execute(statement, values[start:start + CHUNK])


def mark_dirty(session: Session, keys: Mapping[Key, str], shard: int) -> None:
    """Count one more change of each (plan, indicator, territory), with the event behind it."""
    values = [{"shard": shard, "plan_id": p, "indicator_id": i, "territory": t, "version": 1, "seen": 0,
               "cause_event_id": cause} for (p, i, t), cause in sorted(keys.items())]
    if not values:
        return
    table: Any = DirtyRow.__table__
    statement = insert_for(session)(table)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.shard, table.c.plan_id, table.c.indicator_id, table.c.territory],
        set_={"version": table.c.version + 1, "cause_event_id": statement.excluded.cause_event_id})
    session.execute(statement, values)


def sums_at(session: Session, plan_id: str, day: date,
            indicator_ids: Iterable[str] | None = None) -> dict[tuple[str, str], int]:
    """{(indicator, territory): sum of every delta on or before `day`} for one plan: the years
    before day's year, its months before day's month, and its days up to day. Three range
    reads of an index ending in (grain, day), so the rows read are bounded whatever the history."""
    year_start, month_start = day.replace(month=1, day=1), day.replace(day=1)
    ids = list(indicator_ids) if indicator_ids is not None else None
    # SQLite, without statistics, would take the primary key for an indicator list and read
    # every day of those indicators: name the index that bounds the read.
    hint = ""
    if session.get_bind().dialect.name == "sqlite":
        hint = f" INDEXED BY {BY_DAY if ids is None else BY_INDICATOR_DAY}"
    only = " AND indicator_id IN :ids" if ids is not None else ""
    totals: Counter[tuple[str, str]] = Counter()
    for grain, lower, upper in (("y", date.min, year_start), ("m", year_start, month_start),
                                ("d", month_start, day + timedelta(days=1))):
        query = text(f"SELECT indicator_id, territory, SUM(delta) FROM indicator_deltas{hint} "
                     f"WHERE plan_id = :plan AND grain = :grain AND day >= :lower AND day < :upper{only} "
                     "GROUP BY indicator_id, territory").bindparams(
            bindparam("lower", type_=Date()), bindparam("upper", type_=Date()))
        params: dict[str, object] = {"plan": plan_id, "grain": grain, "lower": lower, "upper": upper}
        if ids is not None:
            query = query.bindparams(bindparam("ids", expanding=True))
            params["ids"] = ids
        for indicator_id, territory, total in session.execute(query, params):
            totals[(indicator_id, territory)] += int(total)
    return dict(totals)
