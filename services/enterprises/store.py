"""Tables of the enterprise registry: current records, their history, and the regional
statistics with every revision. Snapshots are the serialized proto messages."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from yinling.db import AUTO_ID, Base
from yinling.history import HistoryColumns


class EnterpriseRecord(Base):
    __tablename__ = "enterprise"

    # The primary key is the domain's uniqueness rule: one record per credit code.
    credit_code: Mapped[str] = mapped_column(String(18), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    district: Mapped[str] = mapped_column(String(6), index=True)
    # Kinds ever held, "|a|b|", so that a list can filter with LIKE '%|kind|%' on any database.
    qualification_kinds: Mapped[str] = mapped_column(String(300), default="|")
    version: Mapped[int] = mapped_column(BigInteger)
    snapshot: Mapped[bytes] = mapped_column(LargeBinary)


class EnterpriseHistory(Base, HistoryColumns):
    __tablename__ = "enterprise_history"
    __table_args__ = (UniqueConstraint("credit_code", "version"),)
    aggregate_key = "credit_code"

    credit_code: Mapped[str] = mapped_column(String(18))
    change: Mapped[str] = mapped_column(String(50))
    corrected_fields: Mapped[str] = mapped_column(String(200), default="")  # comma-separated


class RegionalStatisticRecord(Base):
    __tablename__ = "regional_statistic"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)  # territory/year/measure
    territory: Mapped[str] = mapped_column(String(6), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    measure: Mapped[str] = mapped_column(String(30))
    version: Mapped[int] = mapped_column(BigInteger)
    snapshot: Mapped[bytes] = mapped_column(LargeBinary)


class RegionalStatisticRevision(Base):
    """Every figure ever reported, the replaced ones included."""

    __tablename__ = "regional_statistic_revision"
    __table_args__ = (UniqueConstraint("key", "revision"),)

    id: Mapped[int] = mapped_column(AUTO_ID, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(40), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    change: Mapped[str] = mapped_column(String(20))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text, default="")
    event_id: Mapped[str] = mapped_column(String(36))
    snapshot: Mapped[bytes] = mapped_column(LargeBinary)


MODELS = (EnterpriseRecord, EnterpriseHistory, RegionalStatisticRecord, RegionalStatisticRevision)


def kinds_column(kinds: set[str]) -> str:
    return "|" + "".join(f"{k}|" for k in sorted(kinds))
