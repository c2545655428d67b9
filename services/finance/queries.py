"""Read side: one record, filtered pages of records, a record's history. Amounts come back
whole; hiding them from callers without the steward role is the API's job (grpc_api)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import sessionmaker

from services.finance.rules import KINDS
from services.finance.store import FinanceHistoryRow, FinanceRow
from yinling.aggregate_store import fetch_page
from yinling.credit_code import validate_credit_code
from yinling.errors import NotFound, ValidationError, shown
from yinling.history import history_rows
from yinling.territory import require_district
from yinling.v1.common_pb2 import HistoryEntry
from yinling.v1.finance_pb2 import FinanceRecord


@dataclass(frozen=True)
class Filters:
    kind: str = ""
    enterprise_credit_code: str = ""
    district: str = ""

    def checked(self) -> Filters:
        """A filter naming something that cannot exist is a mistake worth telling the caller."""
        if self.kind and self.kind not in KINDS:
            raise ValidationError("kind", f"unknown kind {shown(self.kind)}; "
                                          f"expected one of {list(KINDS)}")
        if self.district:
            require_district(self.district)
        code = self.enterprise_credit_code
        if code:
            code = validate_credit_code(code, "enterprise_credit_code")
        return Filters(self.kind, code, self.district)


class FinanceQueries:
    def __init__(self, sessions: sessionmaker) -> None:
        self.sessions = sessions

    def get(self, record_id: str) -> FinanceRecord:
        with self.sessions() as s:
            row = s.get(FinanceRow, record_id)
            if row is None:
                raise NotFound("finance record", record_id)
            return row.record()

    def page(self, filters: Filters, offset: int, limit: int) -> tuple[list[FinanceRecord], int]:
        f = filters.checked()
        conditions = [column == value for column, value in (
            (FinanceRow.kind, f.kind),
            (FinanceRow.enterprise_credit_code, f.enterprise_credit_code),
            (FinanceRow.district, f.district)) if value]
        with self.sessions() as s:
            return fetch_page(s, FinanceRow, conditions, (FinanceRow.granted_on, FinanceRow.id),
                              offset, limit, FinanceRecord.FromString)

    def history(self, record_id: str) -> list[HistoryEntry]:
        with self.sessions() as s:
            rows = history_rows(s, FinanceHistoryRow, record_id)
            if not rows:
                raise NotFound("finance record", record_id)
            return [r.to_entry() for r in rows]
