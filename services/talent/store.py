"""Tables of the talent service.

Personal data lives in a table of its own (talent_persons), apart from the pseudonymous
records that lists and events are built from: it can be granted, backed up and erased on
its own. It is not encrypted at rest (no well-kept crypto library is installed here); a
deployment that needs it uses database or disk encryption.

Uniqueness of "one current record per subject and category" is a unique column
`current_key`, set while the record is current and NULL once it ended (NULLs never clash,
on SQLite and PostgreSQL alike)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (BigInteger, DateTime, ForeignKey, Integer, LargeBinary, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column

from yinling.db import Base


class TalentRow(Base):
    __tablename__ = "talent_records"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    subject_pseudonym: Mapped[str] = mapped_column(String(40), index=True)
    category: Mapped[str] = mapped_column(String(40), index=True)
    district: Mapped[str] = mapped_column(String(6), index=True)
    recognised_on: Mapped[str] = mapped_column(String(10))
    current_key: Mapped[str | None] = mapped_column(String(100), unique=True, nullable=True)
    version: Mapped[int] = mapped_column(BigInteger)
    snapshot: Mapped[bytes] = mapped_column(LargeBinary)


class TalentPersonRow(Base):
    __tablename__ = "talent_persons"

    record_id: Mapped[str] = mapped_column(ForeignKey("talent_records.id"), primary_key=True)
    person: Mapped[bytes] = mapped_column(LargeBinary)  # serialized TalentPerson


class TalentHistoryRow(Base):
    """Pseudonymous like the events: corrections of personal fields name the field only."""

    __tablename__ = "talent_history"
    __table_args__ = (UniqueConstraint("record_id", "version"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                    autoincrement=True)
    record_id: Mapped[str] = mapped_column(ForeignKey("talent_records.id"), index=True)
    version: Mapped[int] = mapped_column(BigInteger)
    change: Mapped[str] = mapped_column(String(40))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text, default="")
    corrected_fields: Mapped[str] = mapped_column(Text, default="")  # comma-separated names
    event_id: Mapped[str] = mapped_column(String(36))
    snapshot: Mapped[bytes] = mapped_column(LargeBinary)  # the TalentRecord, never the person


MODELS: list[type[Base]] = [TalentRow, TalentPersonRow, TalentHistoryRow]
