"""History rows of the domain services: one row per version of an aggregate, naming the outbox
event that announced it, served back as `yinling.v1.HistoryEntry`.

A service's history table subclasses `Base` and `HistoryColumns`, declares its aggregate id
column (its name differs per service: platform_id, credit_code, record_id) and names it in
`aggregate_key`, together with its (aggregate id, version) unique constraint."""
from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import ClassVar, Self, TypeVar

from google.protobuf.message import Message
from sqlalchemy import BigInteger, DateTime, LargeBinary, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from yinling.db import AUTO_ID
from yinling.envelope import format_time
from yinling.v1.common_pb2 import HistoryEntry


class HistoryColumns:
    """The columns every history table has. A service whose table was created with other
    lengths overrides that column (existing databases keep their DDL)."""

    aggregate_key: ClassVar[str]
    # The platform registry stores corrected fields as a JSON list, the others comma-separated.
    json_fields: ClassVar[bool] = False

    id: Mapped[int] = mapped_column(AUTO_ID, primary_key=True,
                                    autoincrement=True)
    version: Mapped[int] = mapped_column(BigInteger)
    change: Mapped[str] = mapped_column(String(40))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text, default="")
    corrected_fields: Mapped[str] = mapped_column(Text, default="")
    event_id: Mapped[str] = mapped_column(String(36))
    snapshot: Mapped[bytes] = mapped_column(LargeBinary)

    @classmethod
    def of(cls, key: str, snapshot: Message, version: int, change: str, at: datetime, actor: str,
           reason: str, corrected: Sequence[str], event_id: str) -> Self:
        fields = json.dumps(list(corrected)) if cls.json_fields else ",".join(corrected)
        return cls(**{cls.aggregate_key: key}, version=version, change=change,  # type: ignore[call-arg]
                   recorded_at=at, actor=actor, reason=reason, corrected_fields=fields, event_id=event_id,
                   snapshot=snapshot.SerializeToString(deterministic=True))

    def fields(self) -> list[str]:
        if self.json_fields:
            return list(json.loads(self.corrected_fields or "[]"))
        return [f for f in self.corrected_fields.split(",") if f]

    def to_entry(self) -> HistoryEntry:
        return HistoryEntry(version=self.version, change=self.change,
                            recorded_at=rfc3339(self.recorded_at), actor=self.actor,
                            reason=self.reason, corrected_fields=self.fields(),
                            event_id=self.event_id)


H = TypeVar("H", bound=HistoryColumns)


def history_rows(session: Session, model: type[H], key: str) -> list[H]:
    """All rows of one aggregate, oldest version first."""
    column = getattr(model, model.aggregate_key)
    return list(session.scalars(select(model).where(column == key).order_by(model.version)))


def rfc3339(moment: datetime) -> str:
    # SQLite hands back naive datetimes; they were written in UTC.
    return format_time(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
