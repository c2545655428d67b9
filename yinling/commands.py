"""Idempotent commands: a command carrying a request_id is applied once; a retry with the
same id gets the same answer instead of a second change (clients retry on timeouts)."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, LargeBinary, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from yinling.db import Base


class CommandLog(Base):
    __tablename__ = "command_log"

    request_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    command: Mapped[str] = mapped_column(String(100))
    response: Mapped[bytes] = mapped_column(LargeBinary)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def previous_response(session: Session, request_id: str) -> bytes | None:
    if not request_id:
        return None
    row = session.get(CommandLog, request_id)
    return row.response if row else None


def remember_response(session: Session, request_id: str, command: str, response: bytes) -> None:
    """Stored in the command's own transaction, so the answer and the change commit together."""
    if request_id:
        session.add(CommandLog(request_id=request_id, command=command, response=response,
                               recorded_at=datetime.now(UTC)))
