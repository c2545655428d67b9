"""Read side of the talent registry. Only `get` can return personal data, and only when
the caller is allowed to read it; lists and history are pseudonymous."""
from __future__ import annotations

import builtins

from sqlalchemy.orm import sessionmaker

from services.talent.store import TalentHistoryRow, TalentPersonRow, TalentRow
from yinling.aggregate_store import fetch_page
from yinling.errors import NotFound
from yinling.history import history_rows
from yinling.paging import next_token, page_bounds
from yinling.v1.common_pb2 import HistoryEntry
from yinling.v1.talent_pb2 import (
    ListTalentRequest,
    ListTalentResponse,
    TalentDetail,
    TalentPerson,
    TalentRecord,
)


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
        where = []
        if request.category:
            where.append(TalentRow.category == request.category.strip())
        if request.district:
            where.append(TalentRow.district == request.district.strip())
        with self.sessions() as s:
            records, total = fetch_page(s, TalentRow, where, (TalentRow.recognised_on, TalentRow.id),
                                        offset, limit, TalentRecord.FromString)
        return ListTalentResponse(records=records,
                                  next_page_token=next_token(offset, limit, total), total=total)

    def history(self, record_id: str) -> builtins.list[HistoryEntry]:  # list: the method above
        with self.sessions() as s:
            if s.get(TalentRow, record_id.strip()) is None:
                raise NotFound("talent record", record_id)
            return [r.to_entry() for r in history_rows(s, TalentHistoryRow, record_id.strip())]
