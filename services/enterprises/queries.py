"""Read side of the enterprise registry: one record, a filtered page, the history."""
from __future__ import annotations

from sqlalchemy.orm import sessionmaker

from services.enterprises.rules import require_kind
from services.enterprises.store import EnterpriseHistory, EnterpriseRecord
from yinling.aggregate_store import fetch_page
from yinling.credit_code import validate_credit_code
from yinling.errors import NotFound
from yinling.history import history_rows
from yinling.paging import next_token, page_bounds
from yinling.territory import require_district
from yinling.v1.enterprises_pb2 import (
    Enterprise,
    EnterpriseHistoryResponse,
    ListEnterprisesRequest,
    ListEnterprisesResponse,
)


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
            enterprises, total = fetch_page(s, EnterpriseRecord, where, (EnterpriseRecord.credit_code,),
                                            offset, limit, Enterprise.FromString)
        return ListEnterprisesResponse(enterprises=enterprises,
                                       next_page_token=next_token(offset, limit, total), total=total)

    def history(self, credit_code: str) -> EnterpriseHistoryResponse:
        code = validate_credit_code(credit_code)
        with self.sessions() as s:
            rows = history_rows(s, EnterpriseHistory, code)
        if not rows:
            raise NotFound("enterprise", code)
        return EnterpriseHistoryResponse(entries=[r.to_entry() for r in rows],
                                         snapshots=[Enterprise.FromString(r.snapshot) for r in rows])
