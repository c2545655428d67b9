"""The ingest gateway's own records: submissions (accepted or rejected, with their errors) and
the accepted rows, each with its apply state."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from yinling.db import Base


class SubmissionRecord(Base):
    __tablename__ = "ingest_submissions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(30), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    digest: Mapped[str] = mapped_column(String(64), default="")
    format: Mapped[str] = mapped_column(String(20), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(200))
    partial: Mapped[bool] = mapped_column(Boolean, default=False)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[str] = mapped_column(Text, default="[]")  # JSON: the first validation errors
    content: Mapped[bytes] = mapped_column(LargeBinary)  # as submitted, for audit; empty for personal data


class SubmissionRow(Base):
    __tablename__ = "ingest_submission_rows"
    __table_args__ = (UniqueConstraint("submission_id", "row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("ingest_submissions.id"), index=True)
    row: Mapped[int] = mapped_column(Integer)
    payload: Mapped[str] = mapped_column(Text)  # JSON of the validated row, in the owner's units
    # (erased once applied when the kind holds personal data)
    applied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    refusal_column: Mapped[str] = mapped_column(String(200), default="")
    refusal: Mapped[str] = mapped_column(Text, default="")  # the owner's answer, if it refused


MODELS = [SubmissionRecord, SubmissionRow]
