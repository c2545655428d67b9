"""Read side of the enterprise registry: one record, a filtered page, the history."""
from __future__ import annotations

from datetime import timezone

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from yinling.credit_code import validate_credit_code
from yinling.envelope import format_time
from yinling.errors import NotFound
from yinling.paging import next_token, page_bounds
from yinling.territory import require_district
from yinling.v1.common_pb2 import HistoryEntry
from yinling.v1.enterprises_pb2 import (Enterprise, EnterpriseHistoryResponse,
                                        ListEnterprisesRequest, ListEnterprisesResponse)

from services.enterprises.rules import require_kind
from services.enterprises.store import EnterpriseHistory, EnterpriseRecord


class EnterpriseQueries:
    def __init__(self, sessions: sessionmaker) -> None:
        self.sessions = sessions

    def get(self, credit_code: str) -> Enterprise:
        code = validate_credit_code(credit_code)
        with self.sessions() as s:
            row = s.get(EnterpriseRecord, code)
            if row is None:
                raise NotFound("enterprise", code)
            return Enterprise.FromString(row.snapshot)

    def list(self, request: ListEnterprisesRequest) -> ListEnterprisesResponse:
        offset, limit = page_bounds(request.page.page_size, request.page.page_token)
        where = []
        if request.district:
            where.append(EnterpriseRecord.district == require_district(request.district))
        if request.qualification_kind:
            kind = require_kind(request.qualification_kind)
            where.append(EnterpriseRecord.qualification_kinds.like(f"%|{kind}|%"))
        with self.sessions() as s:
            total = s.scalar(select(func.count()).select_from(EnterpriseRecord).where(*where)) or 0
            rows = s.scalars(select(EnterpriseRecord.snapshot).where(*where)
                             .order_by(EnterpriseRecord.credit_code).offset(offset).limit(limit))
            return ListEnterprisesResponse(enterprises=[Enterprise.FromString(b) for b in rows],
                                           next_page_token=next_token(offset, limit, total), total=total)

    def history(self, credit_code: str) -> EnterpriseHistoryResponse:
        code = validate_credit_code(credit_code)
        with self.sessions() as s:
            rows = s.scalars(select(EnterpriseHistory).where(EnterpriseHistory.credit_code == code)
                             .order_by(EnterpriseHistory.version)).all()
            if not rows:
                raise NotFound("enterprise", code)
            return EnterpriseHistoryResponse(
                entries=[HistoryEntry(version=r.version, change=r.change, recorded_at=_rfc3339(r),
                                      actor=r.actor, reason=r.reason,
                                      corrected_fields=[f for f in r.corrected_fields.split(",") if f],
                                      event_id=r.event_id) for r in rows],
                snapshots=[Enterprise.FromString(r.snapshot) for r in rows])


def _rfc3339(row: EnterpriseHistory) -> str:
    # SQLite hands back naive datetimes; they were written in UTC.
    at = row.recorded_at if row.recorded_at.tzinfo else row.recorded_at.replace(tzinfo=timezone.utc)
    return format_time(at)
