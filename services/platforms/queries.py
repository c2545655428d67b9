"""Read side of the registry: one platform, filtered pages, the history of one, and the
change log of all of them by cursor."""
from __future__ import annotations

from sqlalchemy import and_, func, or_, select
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
    ListPlatformChangesRequest,
    ListPlatformChangesResponse,
    ListPlatformsRequest,
    ListPlatformsResponse,
    Platform,
    PlatformChange,
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

    def changes(self, req: ListPlatformChangesRequest) -> ListPlatformChangesResponse:
        """History entries after the cursor, oldest first, each with the record before it.
        The history ids are handed out in commit order (handlers), so a client that reads
        after the last cursor it received never misses an entry nor reads one twice."""
        if req.after_cursor < 0:
            raise ValidationError("after_cursor", "must be 0 or a cursor received")
        if not 0 <= req.limit <= CHANGES_MAX:
            raise ValidationError("limit", f"must be between 1 and {CHANGES_MAX}")
        h = PlatformHistoryRow
        with self.sessions() as s:
            rows = list(s.scalars(select(h).where(h.id > req.after_cursor).order_by(h.id)
                                  .limit(req.limit or CHANGES_DEFAULT)))
            wanted = [and_(h.platform_id == r.platform_id, h.version == r.version - 1)
                      for r in rows if r.version > 1]
            before = {(r.platform_id, r.version): r.snapshot
                      for r in (s.scalars(select(h).where(or_(*wanted))) if wanted else ())}
            latest = s.scalar(select(func.max(h.id))) or 0
        changes = [PlatformChange(cursor=r.id, entry=r.to_entry(),
                                  platform=Platform.FromString(r.snapshot),
                                  previous=_platform_or_none(before.get((r.platform_id, r.version - 1))))
                   for r in rows]
        return ListPlatformChangesResponse(
            changes=changes, next_cursor=rows[-1].id if rows else req.after_cursor,
            latest_cursor=latest)


CHANGES_DEFAULT, CHANGES_MAX = 500, 5000


def _platform_or_none(snapshot: bytes | None) -> Platform | None:
    return Platform.FromString(snapshot) if snapshot is not None else None
