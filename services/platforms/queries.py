"""Read side of the registry: one platform, filtered pages, and the history of one."""
from __future__ import annotations

from sqlalchemy.orm import sessionmaker

from services.platforms import store
from services.platforms.kinds import require_kind
from services.platforms.store import PlatformHistoryRow, PlatformRecord
from yinling.aggregate_store import fetch_page
from yinling.errors import NotFound, ValidationError
from yinling.history import history_rows
from yinling.paging import next_token, page_bounds
from yinling.territory import require_district
from yinling.v1.platforms_pb2 import (
    ListPlatformsRequest,
    ListPlatformsResponse,
    Platform,
    PlatformHistoryResponse,
    PlatformLevel,
    PlatformStatus,
)


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
            platforms, total = fetch_page(s, PlatformRecord, conditions,
                                          (PlatformRecord.name, PlatformRecord.id), offset, limit,
                                          Platform.FromString)
        return ListPlatformsResponse(platforms=platforms,
                                     next_page_token=next_token(offset, limit, total), total=total)

    def history(self, platform_id: str) -> PlatformHistoryResponse:
        with self.sessions() as s:
            rows = history_rows(s, PlatformHistoryRow, platform_id)
        if not rows:
            raise NotFound("platform", platform_id)
        return PlatformHistoryResponse(entries=[r.to_entry() for r in rows],
                                       snapshots=[Platform.FromString(r.snapshot) for r in rows])
