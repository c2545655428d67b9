"""Read side of the registry: one platform, filtered pages, and the history of one."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from yinling.envelope import format_time
from yinling.errors import NotFound, ValidationError
from yinling.paging import next_token, page_bounds
from yinling.territory import require_district
from yinling.v1.common_pb2 import HistoryEntry
from yinling.v1.platforms_pb2 import (ListPlatformsRequest, ListPlatformsResponse, Platform,
                                      PlatformHistoryResponse, PlatformLevel, PlatformStatus)

from services.platforms import store
from services.platforms.kinds import require_kind
from services.platforms.store import PlatformHistoryRow, PlatformRecord


class PlatformQueries:
    def __init__(self, sessions: sessionmaker) -> None:
        self.sessions = sessions

    def get(self, platform_id: str) -> Platform:
        with self.sessions() as s:
            return store.load(s, platform_id)

    def list(self, req: ListPlatformsRequest) -> ListPlatformsResponse:
        offset, limit = page_bounds(req.page.page_size, req.page.page_token)
        conditions = []
        if req.district:
            conditions.append(PlatformRecord.district == require_district(req.district))
        if req.kind:
            conditions.append(PlatformRecord.kind == require_kind(req.kind).code)
        if req.level:
            if req.level not in PlatformLevel.values():
                raise ValidationError("level", f"unknown level {req.level}")
            conditions.append(PlatformRecord.level == req.level)
        if req.status:
            if req.status not in PlatformStatus.values():
                raise ValidationError("status", f"unknown status {req.status}")
            conditions.append(PlatformRecord.status == req.status)
        with self.sessions() as s:
            total = s.scalar(select(func.count()).select_from(PlatformRecord).where(*conditions)) or 0
            rows = s.scalars(select(PlatformRecord).where(*conditions)
                             .order_by(PlatformRecord.name, PlatformRecord.id)
                             .offset(offset).limit(limit)).all()
        return ListPlatformsResponse(platforms=[r.platform() for r in rows],
                                     next_page_token=next_token(offset, limit, total), total=total)

    def history(self, platform_id: str) -> PlatformHistoryResponse:
        with self.sessions() as s:
            rows = s.scalars(select(PlatformHistoryRow)
                             .where(PlatformHistoryRow.platform_id == platform_id)
                             .order_by(PlatformHistoryRow.version)).all()
        if not rows:
            raise NotFound("platform", platform_id)
        answer = PlatformHistoryResponse()
        for r in rows:
            answer.entries.append(HistoryEntry(
                version=r.version, change=r.change, recorded_at=_rfc3339(r.recorded_at), actor=r.actor,
                reason=r.reason, corrected_fields=r.fields(), event_id=r.event_id))
            answer.snapshots.append(Platform.FromString(r.snapshot))
        return answer


def _rfc3339(moment: datetime) -> str:
    # SQLite hands back naive datetimes; they were written in UTC.
    return format_time(moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc))
