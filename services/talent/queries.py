"""Read side of the talent registry. Only `get` can return personal data, and only when
the caller is allowed to read it; lists and history are pseudonymous."""
from __future__ import annotations

from datetime import timezone

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from yinling.envelope import format_time
from yinling.errors import NotFound
from yinling.paging import next_token, page_bounds
from yinling.v1.common_pb2 import HistoryEntry
from yinling.v1.talent_pb2 import (ListTalentRequest, ListTalentResponse, TalentDetail,
                                   TalentPerson, TalentRecord)

from services.talent.store import TalentHistoryRow, TalentPersonRow, TalentRow


class TalentQueries:
    def __init__(self, sessions: sessionmaker) -> None:
        self.sessions = sessions

    def get(self, record_id: str, with_person: bool) -> TalentDetail:
        with self.sessions() as s:
            row = s.get(TalentRow, record_id.strip())
            if row is None:
                raise NotFound("talent record", record_id)
            detail = TalentDetail(record=TalentRecord.FromString(row.snapshot))
            if with_person:  # the personal table is not even read for other callers
                person = s.get(TalentPersonRow, row.id)
                if person is not None:
                    detail.person.CopyFrom(TalentPerson.FromString(person.person))
            return detail

    def list(self, request: ListTalentRequest) -> ListTalentResponse:
        offset, limit = page_bounds(request.page.page_size, request.page.page_token)
        query = select(TalentRow)
        if request.category:
            query = query.where(TalentRow.category == request.category.strip())
        if request.district:
            query = query.where(TalentRow.district == request.district.strip())
        with self.sessions() as s:
            total = s.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = s.scalars(query.order_by(TalentRow.recognised_on, TalentRow.id)
                             .offset(offset).limit(limit)).all()
        return ListTalentResponse(records=[TalentRecord.FromString(r.snapshot) for r in rows],
                                  next_page_token=next_token(offset, limit, total), total=total)

    def history(self, record_id: str) -> list[HistoryEntry]:
        with self.sessions() as s:
            if s.get(TalentRow, record_id.strip()) is None:
                raise NotFound("talent record", record_id)
            rows = s.scalars(select(TalentHistoryRow)
                             .where(TalentHistoryRow.record_id == record_id.strip())
                             .order_by(TalentHistoryRow.version)).all()
        return [HistoryEntry(version=r.version, change=r.change, recorded_at=_rfc3339(r),
                             actor=r.actor, reason=r.reason, event_id=r.event_id,
                             corrected_fields=[f for f in r.corrected_fields.split(",") if f])
                for r in rows]


def _rfc3339(row: TalentHistoryRow) -> str:
    moment = row.recorded_at
    return format_time(moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc))
