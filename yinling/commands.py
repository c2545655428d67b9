"""Idempotent commands: a command carrying a request_id is applied once; a retry with the
same id gets the same answer instead of a second change (clients retry on timeouts).

A request_id is bound to its method and to a digest of the request (every field but the
request_id, after the server's normalisation): the same id sent with another method or with
another request is refused naming `request_id`, never answered with the first command's
result as if it had been applied."""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime

from google.protobuf.message import Message
from sqlalchemy import DateTime, LargeBinary, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from yinling.db import Base
from yinling.errors import ValidationError


class CommandLog(Base):
    __tablename__ = "command_log"

    request_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    command: Mapped[str] = mapped_column(String(100))
    response: Mapped[bytes] = mapped_column(LargeBinary)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # sha256 of the request; NULL on rows written before requests were digested.
    digest: Mapped[str | None] = mapped_column(String(64), nullable=True)


def request_digest(request: Message) -> str:
    """The request without its request_id, serialised deterministically and hashed."""
    copy = type(request)()
    copy.CopyFrom(request)
    if "request_id" in copy.DESCRIPTOR.fields_by_name:
        copy.ClearField("request_id")  # type: ignore[arg-type]
    return hashlib.sha256(copy.SerializeToString(deterministic=True)).hexdigest()


def previous_response(session: Session, request_id: str, command: str, digest: str) -> bytes | None:
    """The answer already given to this request, None if it is new; a request_id reused for
    another command or another request is refused."""
    if not request_id:
        return None
    fresh = session.info.get(FRESH)
    if fresh is not None and request_id in fresh:
        fresh.discard(request_id)  # once: a second copy in the batch looks in the log
        return None
    row = session.get(CommandLog, request_id)
    if row is None:
        return None
    if row.command != command:
        raise ValidationError("request_id", f"was already used for {row.command}, not {command}; "
                                            "use a new request_id for each request")
    if row.digest is not None and row.digest != digest:
        raise ValidationError("request_id", f"was already used for another {command} request with "
                                            "different fields; use a new request_id for each request")
    return row.response


# session.info key: request_ids a batch found absent from the log before it began
# (yinling.batch), so that each of its commands need not look its own up.
FRESH = "yinling.commands.fresh"


def absent_request_ids(session: Session, request_ids: Iterable[str]) -> set[str]:
    """The request_ids among these that the log does not hold (one query for a batch)."""
    wanted = {r for r in request_ids if r}
    if not wanted:
        return set()
    held = session.scalars(select(CommandLog.request_id).where(CommandLog.request_id.in_(wanted)))
    return wanted - set(held)


def remember_response(session: Session, request_id: str, command: str, digest: str,
                      response: bytes) -> None:
    """Stored in the command's own transaction, so the answer and the change commit together."""
    if request_id:
        session.add(CommandLog(request_id=request_id, command=command, response=response,
                               digest=digest, recorded_at=datetime.now(UTC)))
