"""Reading indicators: values on any date computed on demand, history and changes by cursor."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime

from google.protobuf.message import Message
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from services.indicators.evaluate import Measured, Timelines, measure_days
from services.indicators.facts import (
    DistrictPeriod,
    Fact,
    aggregate_of,
    facts_of,
    periods_of,
    unwrap,
)
from services.indicators.projection import ChangeRow
from services.indicators.status import indicator_value
from services.indicators.values import values_on
from yinling.envelope import format_time
from yinling.errors import NotFound, ValidationError
from yinling.plan import Indicator, Plan, active_plan
from yinling.v1 import indicators_pb2 as pb


def compute_days(plan: Plan, indicator: Indicator, facts: list[Fact], timelines: Timelines,
                 days: list[date], computed_at: str) -> dict[date, list[pb.IndicatorValue]]:
    """The indicator on each day for every territory of the plan, with targets and status."""
    wanted = [*days, indicator.baseline.as_of] if indicator.baseline.value is None else list(days)
    measured = measure_days(plan, indicator, facts, timelines, wanted)
    baseline = measured.get(indicator.baseline.as_of, {}) if indicator.baseline.value is None else {}
    return {day: [indicator_value(plan, indicator, t, day, measured[day][t],
                                  baseline.get(t, Measured(None)), computed_at)
                  for t in plan.territories] for day in days}


def compute_values(plan: Plan, indicator: Indicator, facts: list[Fact], timelines: Timelines,
                   day: date, computed_at: str) -> list[pb.IndicatorValue]:
    return compute_days(plan, indicator, facts, timelines, [day], computed_at)[day]


def compute_from_snapshots(plan: Plan, snapshots: Iterable[Message], territory: str, as_of: date,
                           indicator_id: str) -> pb.IndicatorValue:
    """From scratch over registry records (the newest snapshot of each aggregate wins): for audits."""
    newest: dict[tuple[str, str], Message] = {}
    for snapshot in snapshots:
        record = unwrap(snapshot)
        key = aggregate_of(record)
        old = newest.get(key)
        if old is None or _version(record) >= _version(old):
            newest[key] = record
    facts = [f for r in newest.values() for f in facts_of(r)]
    timelines: dict[str, list[DistrictPeriod]] = {}
    for r in newest.values():
        for p in periods_of(r):
            timelines.setdefault(p.credit_code, []).append(p)
    indicator = plan.indicator(indicator_id)
    values = compute_values(plan, indicator, facts, timelines, as_of,
                            format_time(datetime.now(UTC)))
    return next(v for v in values if v.territory == territory)


def _version(record: Message) -> tuple[int, int]:
    return int(getattr(record, "version", 0)), int(getattr(record, "revision", 0))


class Reader:
    def __init__(self, sessions: sessionmaker, plans: list[Plan], today: Callable[[], date]) -> None:
        if not plans:
            raise ValueError("the engine needs at least one plan")
        self._sessions = sessions
        self._plans = {p.id: p for p in plans}
        self._default = active_plan(plans)
        self._today = today

    def plan(self, plan_id: str | None) -> Plan:
        if not plan_id:
            return self._default
        if plan_id not in self._plans:
            raise NotFound("plan", plan_id)
        return self._plans[plan_id]

    def value(self, plan_id: str | None, indicator_id: str, territory: str,
              as_of: date | None) -> pb.IndicatorValue:
        plan = self.plan(plan_id)
        try:
            indicator = plan.indicator(indicator_id)
        except KeyError:
            raise NotFound("indicator", indicator_id) from None
        if territory not in plan.territories:
            raise ValidationError("territory", f"{territory!r} is not one of {plan.territories}")
        return next(v for v in self._values(plan, [indicator], as_of) if v.territory == territory)

    def values(self, plan_id: str | None, territory: str | None,
               as_of: date | None) -> list[pb.IndicatorValue]:
        plan = self.plan(plan_id)
        if territory and territory not in plan.territories:
            raise ValidationError("territory", f"{territory!r} is not one of {plan.territories}")
        return [v for v in self._values(plan, plan.indicators, as_of)
                if not territory or v.territory == territory]

    def _values(self, plan: Plan, indicators: list[Indicator], as_of: date | None) -> list[pb.IndicatorValue]:
        """From the stored prefix sums: a bounded read whatever the history (values.py)."""
        day = as_of or self._today()
        with self._sessions() as session:
            return values_on(session, plan, indicators, [day], format_time(datetime.now(UTC)))[day]

    def history(self, plan_id: str | None, indicator_id: str, territory: str,
                series: str) -> list[pb.IndicatorChanged]:
        plan = self.plan(plan_id)
        with self._sessions() as session:
            rows = session.scalars(select(ChangeRow).where(
                ChangeRow.plan_id == plan.id, ChangeRow.indicator_id == indicator_id,
                ChangeRow.territory == territory, ChangeRow.series == (series or "now"))
                .order_by(ChangeRow.cursor))
            return [_changed(r) for r in rows]

    def changes_after(self, cursor: int, indicator_ids: set[str], territories: set[str],
                      limit: int = 500) -> list[pb.IndicatorChanged]:
        """Changes with a cursor above `cursor`; empty sets mean every indicator / territory."""
        query = select(ChangeRow).where(ChangeRow.cursor > cursor)
        if indicator_ids:
            query = query.where(ChangeRow.indicator_id.in_(indicator_ids))
        if territories:
            query = query.where(ChangeRow.territory.in_(territories))
        with self._sessions() as session:
            return [_changed(r) for r in session.scalars(query.order_by(ChangeRow.cursor).limit(limit))]

    def latest_cursor(self) -> int:
        """The newest change's cursor (Watch with after_cursor 0 starts after it)."""
        with self._sessions() as s:
            return int(s.scalar(select(func.max(ChangeRow.cursor))) or 0)

    def latest_change(self) -> tuple[int, datetime | None]:
        """The newest change's cursor and when it was recorded; (0, None) before any."""
        with self._sessions() as s:
            row = s.execute(select(ChangeRow.cursor, ChangeRow.recorded_at)
                            .order_by(ChangeRow.cursor.desc()).limit(1)).first()
            return (int(row[0]), row[1]) if row else (0, None)


def _changed(row: ChangeRow) -> pb.IndicatorChanged:
    return pb.IndicatorChanged(cursor=row.cursor, value=pb.IndicatorValue.FromString(row.payload),
                               previous_value=row.previous_value, cause_event_id=row.cause_event_id,
                               series=row.series)
