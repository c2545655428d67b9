"""Tables of the talent service.

Personal data lives in a table of its own (talent_persons), apart from the pseudonymous
records that lists and events are built from: it can be granted, backed up and erased on
its own. It is not encrypted at rest (no well-kept crypto library is installed here); a
deployment that needs it uses database or disk encryption.

Uniqueness of "one current record per subject and category" is a unique column
`current_key`, set while the record is current and NULL once it ended (NULLs never clash,
on SQLite and PostgreSQL alike)."""
from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from yinling.db import Base
from yinling.history import HistoryColumns


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


class TalentHistoryRow(Base, HistoryColumns):
    """Pseudonymous like the events: corrections of personal fields name the field only; the
    snapshot is the TalentRecord, never the person."""

    __tablename__ = "talent_history"
    __table_args__ = (UniqueConstraint("record_id", "version"),)
    aggregate_key = "record_id"

    record_id: Mapped[str] = mapped_column(ForeignKey("talent_records.id"), index=True)


MODELS: list[type[Base]] = [TalentRow, TalentPersonRow, TalentHistoryRow]
