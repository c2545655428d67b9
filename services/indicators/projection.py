"""Tables of the indicators database: the projection of source events and the values kept.

Amounts are stored as decimal strings so that SQLite and PostgreSQL keep them exact alike.
"""
from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import BigInteger, Date, DateTime, Index, Integer, LargeBinary, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.indicators.facts import DistrictPeriod, Fact
from yinling.db import AUTO_ID, Base


class ProcessedEvent(Base):
    """ce_ids already applied: a redelivered event changes nothing."""
    __tablename__ = "indicator_processed_events"
    event_id: Mapped[str] = mapped_column(String(100), primary_key=True)


class AggregateVersion(Base):
    """The newest snapshot applied per aggregate; older or equal ones are ignored."""
    __tablename__ = "indicator_aggregate_versions"
    aggregate: Mapped[str] = mapped_column(String(20), primary_key=True)
    aggregate_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)


class FactRow(Base):
    __tablename__ = "indicator_facts"
    __table_args__ = (Index("ix_indicator_facts_source_kind", "source", "kind"),
                      Index("ix_indicator_facts_aggregate", "aggregate", "aggregate_id"),
                      Index("ix_indicator_facts_source_subject", "source", "subject"),
                      # The facts that name given enterprises (of a kind): bounded by them.
                      Index("ix_indicator_facts_code_source_kind", "credit_code", "source", "kind"))
    id: Mapped[int] = mapped_column(AUTO_ID, primary_key=True, autoincrement=True)
    aggregate: Mapped[str] = mapped_column(String(20))
    aggregate_id: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(60))   # the source's primary attribute
    subject: Mapped[str] = mapped_column(String(200))
    attributes: Mapped[str] = mapped_column(Text)   # JSON object
    district: Mapped[str] = mapped_column(String(10))
    credit_code: Mapped[str] = mapped_column(String(18), index=True)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    cancelled_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    amount: Mapped[str | None] = mapped_column(String(40), nullable=True)


class DistrictPeriodRow(Base):
    __tablename__ = "indicator_district_periods"
    id: Mapped[int] = mapped_column(AUTO_ID, primary_key=True, autoincrement=True)
    credit_code: Mapped[str] = mapped_column(String(18), index=True)
    district: Mapped[str] = mapped_column(String(10))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date, nullable=True)

    def period(self) -> DistrictPeriod:
        return DistrictPeriod(self.credit_code, self.district, self.valid_from, self.valid_until)


class ValueRow(Base):
    """The current value per (plan, indicator, territory, series); series is "now" or a year end."""
    __tablename__ = "indicator_values"
    plan_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    indicator_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    territory: Mapped[str] = mapped_column(String(10), primary_key=True)
    series: Mapped[str] = mapped_column(String(10), primary_key=True)
    as_of: Mapped[date] = mapped_column(Date)
    value: Mapped[str] = mapped_column(String(60))
    signature: Mapped[str] = mapped_column(Text)   # what a change is measured on
    payload: Mapped[bytes] = mapped_column(LargeBinary)   # IndicatorValue


class ChangeRow(Base):
    """Every change of a value: the history, and the cursor Watch resumes after."""
    __tablename__ = "indicator_changes"
    __table_args__ = (Index("ix_indicator_changes_key", "plan_id", "indicator_id", "territory",
                            "series"),)
    cursor: Mapped[int] = mapped_column(AUTO_ID, primary_key=True, autoincrement=True)
    plan_id: Mapped[str] = mapped_column(String(60))
    indicator_id: Mapped[str] = mapped_column(String(60))
    territory: Mapped[str] = mapped_column(String(10))
    series: Mapped[str] = mapped_column(String(10))
    value: Mapped[str] = mapped_column(String(60))
    previous_value: Mapped[str] = mapped_column(String(60))
    cause_event_id: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    payload: Mapped[bytes] = mapped_column(LargeBinary)   # IndicatorValue


class ContributionRow(Base):
    """What one unit (a subject, or an aggregate) adds to an indicator now: the intervals the
    engine turned into deltas, kept so the next change of the unit can take them back."""
    __tablename__ = "indicator_contributions"
    plan_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    indicator_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    unit: Mapped[str] = mapped_column(String(200), primary_key=True)
    body: Mapped[str] = mapped_column(Text)   # contributions.encode


class DeltaRow(Base):
    """Sum of the deltas of (plan, indicator, territory) falling on one day (grain "d"), in one
    month (grain "m", keyed by its first day) or in one year (grain "y", keyed by 1 January).
    "As of D" reads at most the years before D's, the months of D's year before D's month and
    the days of D's month up to D: a bounded number of rows whatever the history."""
    __tablename__ = "indicator_deltas"
    __table_args__ = (Index("ix_indicator_deltas_plan_grain_day", "plan_id", "grain", "day"),
                      Index("ix_indicator_deltas_plan_indicator_grain_day", "plan_id", "indicator_id", "grain",
                            "day"))
    plan_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    indicator_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    territory: Mapped[str] = mapped_column(String(10), primary_key=True)
    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    # Each worker adds into its own shard, so workers never wait on one another's rows.
    shard: Mapped[int] = mapped_column(Integer, primary_key=True, default=0)
    delta: Mapped[int] = mapped_column(BigInteger)


class BuildRow(Base):
    """Which definition of an indicator its contributions were built for: a new plan file, or
    an indicator whose definition changed, is built again from the facts."""
    __tablename__ = "indicator_builds"
    plan_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    indicator_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    definition: Mapped[str] = mapped_column(String(64))


class PendingRow(Base):
    """Units to recompute, written in the transaction that changed their facts and taken by
    any worker afterwards (a work queue in the database): a unit is recomputed only after
    the change that touched it is committed, so it always reads that change. A row with a
    credit code and no unit stands for every unit of the indicator that names the enterprise."""
    __tablename__ = "indicator_pending"
    id: Mapped[int] = mapped_column(AUTO_ID, primary_key=True, autoincrement=True)
    plan_id: Mapped[str] = mapped_column(String(60))
    indicator_id: Mapped[str] = mapped_column(String(60))
    unit: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str] = mapped_column(String(18))
    cause_event_id: Mapped[str] = mapped_column(String(100))


class DirtyRow(Base):
    """A (plan, indicator, territory) whose sums changed: `version` counts the changes, `seen`
    is the version the values were last refreshed for; per shard, like the deltas."""
    __tablename__ = "indicator_dirty"
    shard: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    indicator_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    territory: Mapped[str] = mapped_column(String(10), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)
    seen: Mapped[int] = mapped_column(BigInteger, default=0)
    cause_event_id: Mapped[str] = mapped_column(String(100))


class LockRow(Base):
    """Named locks taken with SELECT ... FOR UPDATE: one refresher of values at a time keeps
    the change feed's cursors in commit order; one builder at a time."""
    __tablename__ = "indicator_locks"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)


MODELS = [ProcessedEvent, AggregateVersion, FactRow, DistrictPeriodRow, ValueRow, ChangeRow,
          ContributionRow, DeltaRow, BuildRow, PendingRow, DirtyRow, LockRow]


def table_of(model: type[Base]) -> Table:
    """The Core table of a model: bulk statements on it skip the ORM's per-row bookkeeping."""
    return cast(Table, model.__table__)


def fact_values(aggregate: str, fact: Fact) -> dict[str, object]:
    """A FactRow as a plain dict, for bulk inserts (no unit-of-work per row)."""
    return {"aggregate": aggregate, "aggregate_id": fact.aggregate_id, "source": fact.source,
            "kind": fact.kind, "subject": fact.subject,
            "attributes": json.dumps(dict(fact.attributes), sort_keys=True, ensure_ascii=False),
            "district": fact.district, "credit_code": fact.enterprise_credit_code,
            "valid_from": fact.valid_from, "valid_until": fact.valid_until,
            "cancelled_on": fact.cancelled_on,
            "amount": None if fact.amount is None else format(fact.amount, "f")}


def fact_of(row: Any) -> Fact:
    """A fact from a row of indicator_facts (Core row or ORM object)."""
    return Fact(row.source, row.aggregate_id, row.subject, json.loads(row.attributes), row.district,
                row.credit_code, row.valid_from, row.valid_until, row.cancelled_on,
                None if row.amount is None else Decimal(row.amount))
