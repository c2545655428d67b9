"""Transactional outbox: an event row is written in the same transaction as the state change.

`record_event` adds the row to the caller's session; the caller's commit makes state and
event durable together, or neither. `yinling.relay.OutboxRelay` publishes the rows later.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from google.protobuf.message import Message
from sqlalchemy import BigInteger, DateTime, LargeBinary, String, event, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from yinling.db import AUTO_ID, Base
from yinling.envelope import Envelope, new_event_id

log = logging.getLogger(__name__)


class OutboxRecord(Base):
    __tablename__ = "outbox"

    # Publication order is id order; it is also per-aggregate order within one service.
    id: Mapped[int] = mapped_column(AUTO_ID, primary_key=True,
                                    autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    topic: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(200))
    ce_type: Mapped[str] = mapped_column(String(200))
    ce_source: Mapped[str] = mapped_column(String(200))
    ce_subject: Mapped[str] = mapped_column(String(200))
    ce_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    data_schema: Mapped[str] = mapped_column(String(200), default="")
    sequence: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True,
                                                          index=True)

    def envelope(self) -> Envelope:
        moment = self.ce_time if self.ce_time.tzinfo else self.ce_time.replace(tzinfo=UTC)
        return Envelope(id=self.event_id, source=self.ce_source, type=self.ce_type, time=moment,
                        subject=self.ce_subject, key=self.key, data=self.payload,
                        data_schema=self.data_schema, sequence=self.sequence)


def record_event(session: Session, *, topic: str, key: str, ce_type: str, source: str,
                 subject: str, payload: Message, sequence: int | None = None,
                 at: datetime | None = None) -> OutboxRecord:
    """Stage one event in the caller's transaction. Its ce_id is fixed here, once."""
    row = OutboxRecord(
        event_id=new_event_id(), topic=topic, key=key, ce_type=ce_type, ce_source=source,
        ce_subject=subject, ce_time=at or datetime.now(UTC),
        data_schema=f"urn:proto:{payload.DESCRIPTOR.full_name}", sequence=sequence,
        payload=payload.SerializeToString(deterministic=True),
    )
    session.add(row)
    session.info[STAGED] = True
    recorded_ids(session).append(row.event_id)
    log.debug("event recorded in the outbox", extra={"ce_id": row.event_id, "ce_type": ce_type,
                                                      "topic": topic, "key": key})
    return row


def recorded_ids(session: Session) -> list[str]:
    """The ce_ids recorded in this session so far; a command takes (and removes) its own, to
    log them beside its request_id."""
    ids: list[str] = session.info.setdefault(RECORDED, [])
    return ids


STAGED = "yinling.outbox.staged"
RECORDED = "yinling.outbox.recorded"


def on_commit_of_events(sessions: sessionmaker, wake: Callable[[], None]) -> Callable[[], None]:
    """Call `wake` after each commit of a session of `sessions` that staged events, so a relay
    publishes them at once instead of at its next poll. Returns the function that stops it."""
    def committed(session: Session) -> None:
        if session.info.pop(STAGED, False):
            wake()

    def rolled_back(session: Session) -> None:
        session.info.pop(STAGED, None)

    event.listen(sessions, "after_commit", committed)
    event.listen(sessions, "after_rollback", rolled_back)

    def stop() -> None:
        event.remove(sessions, "after_commit", committed)
        event.remove(sessions, "after_rollback", rolled_back)
    return stop


def backlog(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(OutboxRecord)
                          .where(OutboxRecord.published_at.is_(None))) or 0
