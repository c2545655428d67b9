"""Outbox rows the broker refuses for good: moved aside with the reason, so the stream goes on.

A record that can never be published (too large, refused by the topic, a non-retryable
Kafka error) would otherwise stop the relay at that row for ever, and every later event of
the service with it. `dead_letter` moves the row out of the outbox into `outbox_dead_letters`
in one transaction: the payload is kept for operators, and the backlog no longer counts it.
A small record (the original ce_* headers, the reason, no value) also goes to the
dead-letter topic, where subscribers and operators can see that an event was dropped.
"""
from __future__ import annotations

from datetime import UTC, datetime

from kafka import errors
from kafka.errors import KafkaError
from sqlalchemy import BigInteger, Boolean, DateTime, LargeBinary, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from yinling.db import AUTO_ID, Base
from yinling.outbox import OutboxRecord

REASON_HEADER = "yinling_dead_letter_reason"
TOPIC_HEADER = "yinling_dead_letter_topic"
MAX_REASON = 500


class DeadLetter(Base):
    __tablename__ = "outbox_dead_letters"

    id: Mapped[int] = mapped_column(AUTO_ID, primary_key=True, autoincrement=True)
    outbox_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    event_id: Mapped[str] = mapped_column(String(36))
    topic: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(200))
    ce_type: Mapped[str] = mapped_column(String(200))
    ce_source: Mapped[str] = mapped_column(String(200))
    ce_subject: Mapped[str] = mapped_column(String(200))
    ce_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    data_schema: Mapped[str] = mapped_column(String(200), default="")
    sequence: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    reason: Mapped[str] = mapped_column(Text)
    dead_lettered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Whether the dead-letter topic took its notice (the broker may refuse that too).
    announced: Mapped[bool] = mapped_column(Boolean, default=False)


# Not retriable, yet not about the record: a cluster or client problem that every record would
# meet. Those halt (and are retried, with a warning) rather than emptying the outbox.
NOT_ABOUT_THE_RECORD: tuple[type[KafkaError], ...] = (
    errors.AuthorizationError, errors.IllegalStateError, errors.KafkaConfigurationError,
    errors.UnsupportedVersionError, errors.IncompatibleBrokerVersion,
    errors.OutOfOrderSequenceNumberError, errors.InvalidProducerEpochError,
)


def is_permanent(exc: BaseException) -> bool:
    """A Kafka error that will not go away by sending the same record again."""
    if not isinstance(exc, KafkaError) or type(exc) is KafkaError:
        return False  # the bare base class is what the client raises for a lost connection
    return not exc.retriable and not isinstance(exc, NOT_ABOUT_THE_RECORD)


def describe(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= MAX_REASON else text[:MAX_REASON] + "..."


def dead_letter(session: Session, row: OutboxRecord, reason: str) -> DeadLetter:
    """Move one outbox row aside, in the caller's transaction."""
    letter = DeadLetter(
        outbox_id=row.id, event_id=row.event_id, topic=row.topic, key=row.key,
        ce_type=row.ce_type, ce_source=row.ce_source, ce_subject=row.ce_subject,
        ce_time=row.ce_time, data_schema=row.data_schema, sequence=row.sequence,
        payload=row.payload, reason=reason, dead_lettered_at=datetime.now(UTC))
    session.add(letter)
    session.delete(row)
    return letter


def notice_headers(letter: DeadLetter) -> list[tuple[str, bytes]]:
    """The dead-letter topic's record: the original event's attributes and the reason."""
    moment = letter.ce_time if letter.ce_time.tzinfo else letter.ce_time.replace(tzinfo=UTC)
    headers = [("ce_specversion", "1.0"), ("ce_id", letter.event_id),
               ("ce_source", letter.ce_source), ("ce_type", letter.ce_type),
               ("ce_subject", letter.ce_subject), ("ce_time", moment.isoformat()),
               (TOPIC_HEADER, letter.topic), (REASON_HEADER, letter.reason)]
    return [(k, v.encode()) for k, v in headers]


def recent_dead_letters(session: Session, limit: int = 50) -> list[DeadLetter]:
    """The latest dead letters first, for operators."""
    return list(session.scalars(select(DeadLetter).order_by(DeadLetter.id.desc()).limit(limit)))


def dead_letter_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(DeadLetter)) or 0
