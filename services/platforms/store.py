"""Tables of the platform registry: the current record per platform and its full history."""
from __future__ import annotations

from sqlalchemy import BigInteger, Integer, LargeBinary, String, Text, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from services.platforms.record import normalise
from yinling.aggregate_store import update_versioned
from yinling.db import Base
from yinling.errors import NotFound, ValidationError, shown
from yinling.history import HistoryColumns
from yinling.v1.platforms_pb2 import Platform


class PlatformRecord(Base):
    __tablename__ = "platforms"
    # One name per host organisation, whatever the case or spacing (domain rule, enforced here too).
    __table_args__ = (UniqueConstraint("name_key", "host_key", name="uq_platforms_name_host"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    name_key: Mapped[str] = mapped_column(String(200))
    host_key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(60), index=True)
    level: Mapped[int] = mapped_column(Integer, index=True)
    status: Mapped[int] = mapped_column(Integer, index=True)
    district: Mapped[str] = mapped_column(String(6), index=True)
    version: Mapped[int] = mapped_column(BigInteger)
    snapshot: Mapped[bytes] = mapped_column(LargeBinary)

    def platform(self) -> Platform:
        return Platform.FromString(self.snapshot)


class PlatformHistoryRow(Base, HistoryColumns):
    __tablename__ = "platform_history"
    __table_args__ = (UniqueConstraint("platform_id", "version", name="uq_platform_history_version"),)
    aggregate_key = "platform_id"
    json_fields = True

    platform_id: Mapped[str] = mapped_column(String(40), index=True)
    corrected_fields: Mapped[str] = mapped_column(Text, default="[]")  # JSON list


MODELS = (PlatformRecord, PlatformHistoryRow)


def _columns(p: Platform) -> dict[str, object]:
    return dict(name=p.name, name_key=normalise(p.name), host_key=normalise(p.host_organisation),
                kind=p.kind, level=int(p.level), status=int(p.status), district=p.district,
                version=p.version, snapshot=p.SerializeToString(deterministic=True))


def load(session: Session, platform_id: str) -> Platform:
    row = session.get(PlatformRecord, platform_id)
    if row is None:
        raise NotFound("platform", platform_id)
    return row.platform()


def require_unique_name(session: Session, p: Platform) -> None:
    """Checked before writing for a clear answer; the unique constraint settles races."""
    clash = session.scalar(select(PlatformRecord.id).where(
        PlatformRecord.name_key == normalise(p.name),
        PlatformRecord.host_key == normalise(p.host_organisation),
        PlatformRecord.id != p.id))
    if clash:
        raise ValidationError("name", f"{shown(p.name)} is already registered for "
                                      f"{shown(p.host_organisation)} (platform {clash})")


def insert(session: Session, p: Platform) -> None:
    require_unique_name(session, p)
    session.add(PlatformRecord(id=p.id, **_columns(p)))
    _flush(session)


def save(session: Session, p: Platform) -> None:
    """Optimistic: the row must still be at the version this command read."""
    require_unique_name(session, p)
    update_versioned(session, PlatformRecord, "id", p.id, p.version - 1, _columns(p),
                     "the platform was changed by another command; read it and retry")
    _flush(session)


def _flush(session: Session) -> None:
    try:
        session.flush()
    except IntegrityError:
        raise ValidationError("name", "is already registered for this host organisation") from None
