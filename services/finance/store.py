"""Tables of the finance service: the current record and its history.

One listing per enterprise per exchange is enforced by a unique column too (`listing_key`,
NULL for non-listings and withdrawn listings; NULLs never collide in SQLite or PostgreSQL),
so two concurrent commands cannot both record it.
"""
from __future__ import annotations

from sqlalchemy import BigInteger, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from yinling.db import Base
from yinling.history import HistoryColumns
from yinling.v1.finance_pb2 import FinanceRecord


class FinanceRow(Base):
    __tablename__ = "finance_record"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    enterprise_credit_code: Mapped[str] = mapped_column(String(18), index=True)
    district: Mapped[str] = mapped_column(String(6), index=True)
    granted_on: Mapped[str] = mapped_column(String(10))
    listing_key: Mapped[str | None] = mapped_column(String(40), unique=True, nullable=True)
    version: Mapped[int] = mapped_column(BigInteger)
    snapshot: Mapped[bytes] = mapped_column(LargeBinary)

    def record(self) -> FinanceRecord:
        return FinanceRecord.FromString(self.snapshot)


class FinanceHistoryRow(Base, HistoryColumns):
    __tablename__ = "finance_history"
    __table_args__ = (UniqueConstraint("record_id", "version"),)
    aggregate_key = "record_id"

    record_id: Mapped[str] = mapped_column(String(36), index=True)
    change: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(2000), default="")
    corrected_fields: Mapped[str] = mapped_column(String(200), default="")  # comma-separated


MODELS: tuple[type[Base], ...] = (FinanceRow, FinanceHistoryRow)


def listing_key(record: FinanceRecord) -> str | None:
    """The uniqueness key of a live listing; withdrawn listings free their slot."""
    if record.kind != "listing" or record.withdrawn_on:
        return None
    return f"{record.enterprise_credit_code}/{record.exchange}"


def columns_of(record: FinanceRecord) -> dict[str, object]:
    """The filter and uniqueness columns plus the snapshot, derived from the proto."""
    return {
        "kind": record.kind, "enterprise_credit_code": record.enterprise_credit_code,
        "district": record.district, "granted_on": record.granted_on,
        "listing_key": listing_key(record), "version": record.version,
        "snapshot": record.SerializeToString(deterministic=True),
    }
